import { AppError } from '@mfa/common/errors/app-error';
import { MFA_METHODS, MfaMethod } from './mfa-method';

/** What the status rules need to know about the user's organization policy. */
export interface OrgPolicySnapshot {
  enforced: boolean;
  enforcementDeadline: Date | null;
  allowedMethods: MfaMethod[];
  /** The user's exemption, if any. */
  exemption: { expiresAt: Date | null } | null;
  /** Days a device may be remembered (0 or absent: off). */
  rememberDeviceDays?: number;
}

export function isExempt(org: OrgPolicySnapshot | null, now: Date): boolean {
  const exemption = org?.exemption;
  return !!exemption && (exemption.expiresAt === null || exemption.expiresAt.getTime() > now.getTime());
}

/**
 * The policies that bind one person's factors: those of every organization they actively belong
 * to (docs/trust-model.md "Enforcement follows the person, not the token"). Omitting `orgId` from a
 * token evades none of them.
 */
export interface MemberPolicy {
  orgId: string;
  /** The organization's policy as it applies to this user (their own exemption), null when it has none. */
  policy: OrgPolicySnapshot | null;
}

export interface OrgRequirement {
  orgId: string;
  /** Enforces MFA on this user (enforced and the user not exempt). */
  enforced: boolean;
  /** The user is exempt there (an active exemption of an enforcing organization). */
  exempt: boolean;
  allowedMethods: MfaMethod[];
  enforcementDeadline: Date | null;
}

export interface UserPolicy {
  orgs: OrgRequirement[];
  /** Organizations that enforce MFA on this user, in orgId order. */
  enforcedBy: string[];
  /** Methods every enforcing organization allows (all three when none enforces). */
  allowedMethods: MfaMethod[];
  /** The smallest rememberDeviceDays over every organization (0 without any: nobody allowed it). */
  rememberDeviceDays: number;
}

export const NO_USER_POLICY: UserPolicy = { orgs: [], enforcedBy: [], allowedMethods: [...MFA_METHODS], rememberDeviceDays: 0 };

export function userPolicyOf(members: MemberPolicy[], now: Date): UserPolicy {
  const orgs = members.map(({ orgId, policy }): OrgRequirement => {
    const enforcing = !!policy?.enforced;
    const exempt = enforcing && isExempt(policy, now);
    return {
      orgId,
      enforced: enforcing && !exempt,
      exempt,
      allowedMethods: enforcing && policy?.allowedMethods ? [...policy.allowedMethods] : [...MFA_METHODS],
      enforcementDeadline: policy?.enforcementDeadline ?? null,
    };
  });
  const enforcing = orgs.filter((o) => o.enforced);
  return {
    orgs,
    enforcedBy: enforcing.map((o) => o.orgId),
    allowedMethods: MFA_METHODS.filter((m) => enforcing.every((o) => o.allowedMethods.includes(m))),
    rememberDeviceDays: members.length === 0 ? 0 : Math.min(...members.map((m) => m.policy?.rememberDeviceDays ?? 0)),
  };
}

export const methodNotAllowed = (): AppError => new AppError('forbidden', 'METHOD_NOT_ALLOWED', 'MFA method is not allowed by your organization');

/** Whether `method` may be set up: every enforcing organization allows it (else it would never satisfy one). */
export const mayConfigure = (policy: UserPolicy, method: MfaMethod): boolean => policy.allowedMethods.includes(method);

/**
 * Whether `method` may be used for one login. The token's organization is the context; without one,
 * the strictest of the enforcing organizations applies. Backup codes stand in for the authenticator
 * app they were issued with: allowed where GOOGLE_AUTH is.
 */
export function allowedAtLogin(policy: UserPolicy, contextOrgId: string | null, method: MfaMethod | 'BACKUP_CODE'): boolean {
  const judged: MfaMethod = method === 'BACKUP_CODE' ? 'GOOGLE_AUTH' : method;
  if (contextOrgId === null) return policy.allowedMethods.includes(judged);
  const context = policy.orgs.find((o) => o.orgId === contextOrgId);
  return !context || !context.enforced || context.allowedMethods.includes(judged);
}

/** An organization that enforces MFA on the user and none of whose allowed methods the user has enabled. */
export function unsatisfied(policy: UserPolicy, enabledMethods: readonly MfaMethod[]): OrgRequirement[] {
  return policy.orgs.filter((o) => o.enforced && !enabledMethods.some((m) => o.allowedMethods.includes(m)));
}
