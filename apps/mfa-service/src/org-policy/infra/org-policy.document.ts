import type { MfaMethod } from '../../user-mfa/domain/mfa-method';

export const ORG_POLICY_COLLECTION = 'org_policies';

export interface ExemptionDocument {
  userId: string;
  reason: string;
  expiresAt: Date | null;
  grantedBy: string;
  grantedAt: Date;
}

/** The stored shape of one organization's MFA policy (key: orgId). */
export interface OrgPolicyDocument {
  _id: string;
  enforced: boolean;
  enforcedAt: Date | null;
  enforcedBy: string | null;
  gracePeriodDays: number;
  enforcementDeadline: Date | null;
  allowedMethods: MfaMethod[];
  exemptions: ExemptionDocument[];
  /** Days a member's device may be remembered (0 = off; absent on older documents, read as 0). */
  rememberDeviceDays?: number;
  /** Absent on documents written before enforcement revisions existed (read as 0). */
  enforcementRevision?: number;
  version: number;
}
