import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { ORG_POLICY_COLLECTION, OrgPolicyDocument } from '../../org-policy/infra/org-policy.document';
import { MFA_METHODS, MfaMethod } from '../domain/mfa-method';
import { isExempt } from '../domain/mfa-status';

export interface UserPolicyView {
  /** The organization enforces MFA and the user is not exempt. */
  enforced: boolean;
  /** Methods the organization allows while it enforces MFA (all when it does not). */
  allowedMethods: MfaMethod[];
}

const NO_POLICY: UserPolicyView = { enforced: false, allowedMethods: [...MFA_METHODS] };

/** What the user's organization policy means for one user (read side of org_policies). */
@Injectable()
export class OrgPolicyReader {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  async forUser(orgId: string | null, userId: string, now: Date): Promise<UserPolicyView> {
    if (!orgId) return NO_POLICY;
    const doc = await this.connection.collection<OrgPolicyDocument>(ORG_POLICY_COLLECTION).findOne({ _id: orgId });
    if (!doc) return NO_POLICY;
    const exemption = (doc.exemptions ?? []).find((e) => e.userId === userId);
    const exempt = isExempt({ enforced: doc.enforced, enforcementDeadline: doc.enforcementDeadline, allowedMethods: doc.allowedMethods, exemption: exemption ? { expiresAt: exemption.expiresAt } : null }, now);
    return { enforced: !!doc.enforced && !exempt, allowedMethods: doc.enforced && doc.allowedMethods ? doc.allowedMethods : [...MFA_METHODS] };
  }
}
