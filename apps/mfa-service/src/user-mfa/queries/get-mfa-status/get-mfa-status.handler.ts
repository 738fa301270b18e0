import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectConnection } from '@nestjs/mongoose';
import { CLOCK, Clock } from '@mfa/common';
import type { Connection } from 'mongoose';
import { ORG_POLICY_COLLECTION, OrgPolicyDocument } from '../../../org-policy/infra/org-policy.document';
import { describeMfaStatus, MfaStatus, NO_MFA, OrgPolicySnapshot, UserMfaSnapshot } from '../../domain/mfa-status';
import { USER_MFA_COLLECTION, UserMfaDocument } from '../../infra/user-mfa.document';
import { GetMfaStatusQuery } from './get-mfa-status.query';

@QueryHandler(GetMfaStatusQuery)
export class GetMfaStatusHandler implements IQueryHandler<GetMfaStatusQuery, MfaStatus> {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal }: GetMfaStatusQuery): Promise<MfaStatus> {
    const [user, org] = await Promise.all([
      this.connection
        .collection<UserMfaDocument>(USER_MFA_COLLECTION)
        .findOne({ _id: principal.userId }, { projection: { enabledMethods: 1, primaryMethod: 1, backupCodes: 1 } }),
      principal.orgId
        ? this.connection.collection<OrgPolicyDocument>(ORG_POLICY_COLLECTION).findOne({ _id: principal.orgId })
        : null,
    ]);
    return describeMfaStatus(toUserSnapshot(user), toOrgSnapshot(org, principal.userId), this.clock.now());
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

function toOrgSnapshot(doc: OrgPolicyDocument | null, userId: string): OrgPolicySnapshot | null {
  if (!doc) return null;
  const exemption = (doc.exemptions ?? []).find((e) => e.userId === userId);
  return {
    enforced: doc.enforced,
    enforcementDeadline: doc.enforcementDeadline,
    allowedMethods: doc.allowedMethods,
    exemption: exemption ? { expiresAt: exemption.expiresAt } : null,
  };
}
