import type { MfaMethod } from '../../user-mfa/domain/mfa-method';

export const ORG_POLICY_COLLECTION = 'org_policies';

export interface ExemptionDocument {
  userId: string;
  reason: string;
  expiresAt: Date | null;
  grantedBy: string;
  grantedAt: Date;
}

export interface ExemptionChangeDocument {
  userId: string;
  /** Null: revoked. */
  exemption: ExemptionDocument | null;
  revision: number;
}

/** The field name of a user's pending change: base64url, so no `.` or `$` from a user id reaches a path. */
export const exemptionChangeKey = (userId: string): string => `u${Buffer.from(userId, 'utf8').toString('base64url')}`;

/** The stored shape of one organization's MFA policy (key: orgId). */
export interface OrgPolicyDocument {
  _id: string;
  enforced: boolean;
  enforcedAt: Date | null;
  enforcedBy: string | null;
  gracePeriodDays: number;
  enforcementDeadline: Date | null;
  allowedMethods: MfaMethod[];
  /** Written before exemptions had their own collection: moved there at start-up (ExemptionsMigration). */
  exemptions?: ExemptionDocument[];
  /** Committed exemption changes not yet applied to ORG_EXEMPTIONS_COLLECTION, by exemptionChangeKey(userId). */
  exemptionChanges?: Record<string, ExemptionChangeDocument>;
  /** Days a member's device may be remembered (0 = off; absent on older documents, read as 0). */
  rememberDeviceDays?: number;
  /** Absent on documents written before enforcement revisions existed (read as 0). */
  enforcementRevision?: number;
  version: number;
}
