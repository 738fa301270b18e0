import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectConnection } from '@nestjs/mongoose';
import { CLOCK, Clock } from '@mfa/common';
import type { Connection } from 'mongoose';
import { OrgPolicyReadCache } from '../../../org-policy/infra/org-policy.read-cache';
import { describeMfaStatus, MfaStatus, NO_MFA, UserMfaSnapshot } from '../../domain/mfa-status';
import { policySnapshotFor } from '../../infra/org-policy.reader';
import { USER_MFA_COLLECTION, UserMfaDocument } from '../../infra/user-mfa.document';
import { GetMfaStatusQuery } from './get-mfa-status.query';

@QueryHandler(GetMfaStatusQuery)
export class GetMfaStatusHandler implements IQueryHandler<GetMfaStatusQuery, MfaStatus> {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly policies: OrgPolicyReadCache,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal }: GetMfaStatusQuery): Promise<MfaStatus> {
    const [user, org] = await Promise.all([
      this.connection
        .collection<UserMfaDocument>(USER_MFA_COLLECTION)
        .findOne({ _id: principal.userId }, { projection: { enabledMethods: 1, primaryMethod: 1, backupCodes: 1 } }),
      principal.orgId ? this.policies.get(principal.orgId) : null,
    ]);
    return describeMfaStatus(toUserSnapshot(user), policySnapshotFor(org, principal.userId), this.clock.now());
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
