import { MfaMethod } from './mfa-method';

/** What the status rules need to know about a user (a projection of the UserMfa document). */
export interface UserMfaSnapshot {
  enabledMethods: MfaMethod[];
  primaryMethod: MfaMethod | null;
  backupCodesRemaining: number;
}

/** What the status rules need to know about the user's organization policy. */
export interface OrgPolicySnapshot {
  enforced: boolean;
  enforcementDeadline: Date | null;
  allowedMethods: MfaMethod[];
  /** The user's exemption, if any. */
  exemption: { expiresAt: Date | null } | null;
}

export interface MfaStatus {
  isEnabled: boolean;
  isRequired: boolean;
  isEnforced: boolean;
  enabledMethods: MfaMethod[];
  primaryMethod: MfaMethod | null;
  setupRequired: boolean;
  enforcementDeadline: string | null;
  exempt: boolean;
  requiredBy: 'organization' | 'user' | null;
  backupCodesRemaining: number;
}

export const NO_MFA: UserMfaSnapshot = { enabledMethods: [], primaryMethod: null, backupCodesRemaining: 0 };

export function isExempt(org: OrgPolicySnapshot | null, now: Date): boolean {
  const exemption = org?.exemption;
  return !!exemption && (exemption.expiresAt === null || exemption.expiresAt.getTime() > now.getTime());
}

/** A member complies when they have an enabled method the organization allows (NIST: email may be excluded). */
export function satisfiesPolicy(user: UserMfaSnapshot, org: OrgPolicySnapshot | null): boolean {
  if (!org) return user.enabledMethods.length > 0;
  return user.enabledMethods.some((method) => org.allowedMethods.includes(method));
}

/** The contract's decision on what each status field means, in one pure function. */
export function describeMfaStatus(user: UserMfaSnapshot, org: OrgPolicySnapshot | null, now: Date): MfaStatus {
  const exempt = isExempt(org, now);
  const isEnforced = !!org?.enforced && !exempt;
  const isEnabled = user.enabledMethods.length > 0;
  const primaryMethod =
    user.primaryMethod && user.enabledMethods.includes(user.primaryMethod)
      ? user.primaryMethod
      : (user.enabledMethods[0] ?? null);
  return {
    isEnabled,
    isRequired: isEnabled || isEnforced,
    isEnforced,
    enabledMethods: [...user.enabledMethods],
    primaryMethod,
    setupRequired: isEnforced && !satisfiesPolicy(user, org),
    enforcementDeadline: isEnforced && org?.enforcementDeadline ? org.enforcementDeadline.toISOString() : null,
    exempt,
    requiredBy: isEnforced ? 'organization' : isEnabled ? 'user' : null,
    backupCodesRemaining: user.backupCodesRemaining,
  };
}
