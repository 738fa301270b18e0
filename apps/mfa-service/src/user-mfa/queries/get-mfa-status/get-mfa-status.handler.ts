import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectConnection } from '@nestjs/mongoose';
import { CLOCK, Clock } from '@mfa/common';
import type { Connection } from 'mongoose';
import { describeMfaStatus, MfaStatus, NO_MFA, UserMfaSnapshot } from '../../domain/mfa-status';
import { OrgPolicyReader } from '../../infra/org-policy.reader';
import { USER_MFA_COLLECTION, UserMfaDocument } from '../../infra/user-mfa.document';
import { GetMfaStatusQuery } from './get-mfa-status.query';

@QueryHandler(GetMfaStatusQuery)
export class GetMfaStatusHandler implements IQueryHandler<GetMfaStatusQuery, MfaStatus> {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly policies: OrgPolicyReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal }: GetMfaStatusQuery): Promise<MfaStatus> {
    const now = this.clock.now();
    const [user, { policy }] = await Promise.all([
      this.connection
        .collection<UserMfaDocument>(USER_MFA_COLLECTION)
        .findOne({ _id: principal.userId }, { projection: { enabledMethods: 1, primaryMethod: 1, backupCodes: 1 } }),
      this.policies.forUserCached(principal, now),
    ]);
    return describeMfaStatus(toUserSnapshot(user), policy);
  }
}

function toUserSnapshot(doc: UserMfaDocument | null): UserMfaSnapshot {
  if (!doc) return NO_MFA;
  return {
    enabledMethods: doc.enabledMethods ?? [],
    primaryMethod: doc.primaryMethod ?? null,
    backupCodesRemaining: (doc.backupCodes ?? []).filter((code) => code.usedAt === null).length,
  };
}
