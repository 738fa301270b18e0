import { MfaMethod } from './mfa-method';
import { OrgPolicySnapshot, unsatisfied, UserPolicy } from './user-policy';

export { isExempt } from './user-policy';
export type { OrgPolicySnapshot } from './user-policy';

/** What the status rules need to know about a user (a projection of the UserMfa document). */
export interface UserMfaSnapshot {
  enabledMethods: MfaMethod[];
  primaryMethod: MfaMethod | null;
  backupCodesRemaining: number;
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
  /** Every organization that enforces MFA on the user (all active memberships, not only the token's). */
  enforcedBy: string[];
  backupCodesRemaining: number;
}

export const NO_MFA: UserMfaSnapshot = { enabledMethods: [], primaryMethod: null, backupCodesRemaining: 0 };

/** A member complies when they have an enabled method the organization allows (NIST: email may be excluded). */
export function satisfiesPolicy(user: UserMfaSnapshot, org: OrgPolicySnapshot | null): boolean {
  if (!org) return user.enabledMethods.length > 0;
  return user.enabledMethods.some((method) => org.allowedMethods.includes(method));
}

/** The contract's decision on what each status field means, in one pure function, over every organization of the user. */
export function describeMfaStatus(user: UserMfaSnapshot, policy: UserPolicy): MfaStatus {
  const isEnforced = policy.enforcedBy.length > 0;
  const isEnabled = user.enabledMethods.length > 0;
  const primaryMethod = user.primaryMethod && user.enabledMethods.includes(user.primaryMethod) ? user.primaryMethod : (user.enabledMethods[0] ?? null);
  const pending = unsatisfied(policy, user.enabledMethods);
  // The deadline that matters: the earliest of the organizations still waiting for a method, else of all enforcing ones.
  const deadlines = (pending.length > 0 ? pending : policy.orgs.filter((o) => o.enforced))
    .map((o) => o.enforcementDeadline)
    .filter((d): d is Date => d !== null)
    .sort((a, b) => a.getTime() - b.getTime());
  return {
    isEnabled,
    isRequired: isEnabled || isEnforced,
    isEnforced,
    enabledMethods: [...user.enabledMethods],
    primaryMethod,
    setupRequired: pending.length > 0,
    enforcementDeadline: isEnforced && deadlines.length > 0 ? deadlines[0].toISOString() : null,
    exempt: policy.orgs.some((o) => o.exempt),
    requiredBy: isEnforced ? 'organization' : isEnabled ? 'user' : null,
    enforcedBy: [...policy.enforcedBy],
    backupCodesRemaining: user.backupCodesRemaining,
  };
}
