import { AppError, validationFailed } from '@mfa/common/errors/app-error';
import type { Decision, DomainEvent } from '@mfa/common/domain/decision';
import { MFA_METHODS, MfaMethod } from '../../user-mfa/domain/mfa-method';

/** An organization's MFA policy (aggregate key: orgId). Pure data; rules below. */
export interface OrgPolicyState {
  orgId: string;
  enforced: boolean;
  enforcedAt: Date | null;
  enforcedBy: string | null;
  gracePeriodDays: number;
  enforcementDeadline: Date | null;
  allowedMethods: MfaMethod[];
  /**
   * Exemption changes committed with their event but not yet applied to the exemptions' own
   * collection (one document per member, not here: an org may exempt 100,000 members). At most one
   * per user, the latest; removed once applied, so normally empty.
   */
  exemptionChanges: ExemptionChange[];
  /**
   * Counts enforcement changes (each OrgMfaEnforced / OrgMfaEnforcementLifted). The
   * enforcement lifecycle jobs (fan-out, deadline) belong to one revision and stop once it is superseded.
   */
  enforcementRevision: number;
  /** Days a member's device may be remembered after a verified login (0 = off). Set with enforcement. */
  rememberDeviceDays: number;
}

export interface Exemption {
  userId: string;
  reason: string;
  expiresAt: Date | null;
  grantedBy: string;
  grantedAt: Date;
}

/** A member's exemption as a committed change made it: granted (or replaced), or revoked (null). */
export interface ExemptionChange {
  userId: string;
  exemption: Exemption | null;
  /** The org's version that committed it: a change applies only over an older one. */
  revision: number;
}

export const MAX_GRACE_PERIOD_DAYS = 90;
export const MAX_REMEMBER_DEVICE_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

export function newOrgPolicy(orgId: string): OrgPolicyState {
  return {
    orgId,
    enforced: false,
    enforcedAt: null,
    enforcedBy: null,
    gracePeriodDays: 0,
    enforcementDeadline: null,
    allowedMethods: [...MFA_METHODS],
    exemptionChanges: [],
    enforcementRevision: 0,
    rememberDeviceDays: 0,
  };
}

export interface SetEnforcement {
  orgId: string;
  enforced: boolean;
  gracePeriodDays?: number;
  allowedMethods?: MfaMethod[];
  rememberDeviceDays?: number;
  actorId: string;
  /** Members who would have to set up MFA (for the event; counted by the caller). */
  affectedUsers: number;
}

const sameMethods = (a: MfaMethod[], b: MfaMethod[]) => a.length === b.length && a.every((m) => b.includes(m));
const canonicalMethods = (methods: MfaMethod[]) => MFA_METHODS.filter((m) => methods.includes(m));

/**
 * Turns enforcement on (or changes its settings) or off. Repeating the current settings is
 * a no-op without events. The deadline is `enforcedAt + gracePeriodDays`; changing the grace
 * period of an enforced org moves the deadline but not `enforcedAt`.
 */
export function decideEnforcement(current: OrgPolicyState | null, command: SetEnforcement, now: Date): Decision<OrgPolicyState> {
  const state = current ?? newOrgPolicy(command.orgId);
  if (!command.enforced) {
    if (command.gracePeriodDays !== undefined || command.allowedMethods !== undefined || command.rememberDeviceDays !== undefined) {
      throw validationFailed([{ field: 'enforced', message: 'gracePeriodDays, allowedMethods and rememberDeviceDays apply only when enforced is true' }]);
    }
    if (!state.enforced) return { state, events: [] };
    return {
      // Remembered devices end with the enforcement that allowed them (0 = off).
      state: {
        ...state,
        enforced: false,
        enforcedAt: null,
        enforcedBy: null,
        enforcementDeadline: null,
        enforcementRevision: state.enforcementRevision + 1,
        rememberDeviceDays: 0,
      },
      events: [{ type: 'OrgMfaEnforcementLifted', data: { orgId: state.orgId, liftedBy: command.actorId } }],
    };
  }

  const gracePeriodDays = command.gracePeriodDays ?? (state.enforced ? state.gracePeriodDays : 0);
  if (!Number.isInteger(gracePeriodDays) || gracePeriodDays < 0 || gracePeriodDays > MAX_GRACE_PERIOD_DAYS) {
    throw validationFailed([{ field: 'gracePeriodDays', message: `gracePeriodDays must be an integer from 0 to ${MAX_GRACE_PERIOD_DAYS}` }]);
  }
  const allowedMethods = canonicalMethods(command.allowedMethods ?? state.allowedMethods);
  if (allowedMethods.length === 0) {
    throw validationFailed([{ field: 'allowedMethods', message: 'allowedMethods must contain at least one method' }]);
  }
  const rememberDeviceDays = command.rememberDeviceDays ?? (state.enforced ? state.rememberDeviceDays : 0);
  if (!Number.isInteger(rememberDeviceDays) || rememberDeviceDays < 0 || rememberDeviceDays > MAX_REMEMBER_DEVICE_DAYS) {
    throw validationFailed([{ field: 'rememberDeviceDays', message: `rememberDeviceDays must be an integer from 0 to ${MAX_REMEMBER_DEVICE_DAYS}` }]);
  }
  if (
    state.enforced &&
    state.gracePeriodDays === gracePeriodDays &&
    sameMethods(state.allowedMethods, allowedMethods) &&
    state.rememberDeviceDays === rememberDeviceDays
  ) {
    return { state, events: [] };
  }
  const enforcedAt = state.enforced && state.enforcedAt ? state.enforcedAt : now;
  const enforcedBy = state.enforced && state.enforcedBy ? state.enforcedBy : command.actorId;
  const enforcementDeadline = new Date(enforcedAt.getTime() + gracePeriodDays * DAY_MS);
  const next: OrgPolicyState = {
    ...state,
    enforced: true,
    enforcedAt,
    enforcedBy,
    gracePeriodDays,
    enforcementDeadline,
    allowedMethods,
    enforcementRevision: state.enforcementRevision + 1,
    rememberDeviceDays,
  };
  const event: DomainEvent = {
    type: 'OrgMfaEnforced',
    data: {
      orgId: state.orgId,
      enforcedBy: command.actorId,
      gracePeriodDays,
      enforcementDeadline: enforcementDeadline.toISOString(),
      allowedMethods,
      affectedUsers: command.affectedUsers,
      rememberDeviceDays,
    },
  };
  return { state: next, events: [event] };
}

/**
 * Whether moving from `before` to `after` lowers security: lifting enforcement, lengthening the
 * grace period, adding an allowed method or remembering devices longer. Those need the admin's own MFA and step-up; turning
 * enforcement on, shortening the grace period or removing a method only raise it.
 */
export function weakensPolicy(before: OrgPolicyState | null, after: OrgPolicyState): boolean {
  // Remembering devices longer lets more logins skip the second factor.
  if (after.rememberDeviceDays > (before?.enforced ? before.rememberDeviceDays : 0)) return true;
  if (!before?.enforced) return false;
  if (!after.enforced) return true;
  return after.gracePeriodDays > before.gracePeriodDays || after.allowedMethods.some((m) => !before.allowedMethods.includes(m));
}

/** The exemption when it is still in force at `now`, else null. */
export function activeExemption<E extends { expiresAt: Date | null }>(exemption: E | null | undefined, now: Date): E | null {
  if (!exemption) return null;
  return exemption.expiresAt === null || exemption.expiresAt.getTime() > now.getTime() ? exemption : null;
}

/** The user's change still waiting in the policy, if any (it is newer than the stored exemption). */
export function pendingExemptionChange(state: OrgPolicyState | null, userId: string): ExemptionChange | undefined {
  return state?.exemptionChanges.find((c) => c.userId === userId);
}

const withChange = (state: OrgPolicyState, change: ExemptionChange): OrgPolicyState => ({
  ...state,
  exemptionChanges: [...state.exemptionChanges.filter((c) => c.userId !== change.userId), change],
});

export interface GrantExemption {
  orgId: string;
  userId: string;
  reason: string;
  /** Null: as long as allowed (`maxExpiresAt`). */
  expiresAt: Date | null;
  /** The latest an exemption may expire (now + MFA_EXEMPTION_MAX_DAYS). */
  maxExpiresAt: Date;
  actorId: string;
  /** The version this write gives the policy (ExemptionChange.revision). */
  revision: number;
}

/**
 * Exempts a member (replacing an earlier exemption) until `expiresAt`, at most `maxExpiresAt`
 * (no exemption is forever). An admin cannot exempt themself (403). Granting the same exemption
 * again is a no-op.
 */
export function decideGrantExemption(
  current: OrgPolicyState | null,
  /** The member's exemption now: their pending change, else the stored one. */
  stored: Exemption | null,
  command: GrantExemption,
  now: Date,
): Decision<OrgPolicyState> {
  if (command.userId === command.actorId) {
    throw new AppError('forbidden', 'FORBIDDEN', 'An administrator cannot exempt themself');
  }
  if (command.expiresAt && command.expiresAt.getTime() <= now.getTime()) {
    throw validationFailed([{ field: 'expiresAt', message: 'expiresAt must be in the future' }]);
  }
  if (command.expiresAt && command.expiresAt.getTime() > command.maxExpiresAt.getTime()) {
    throw validationFailed([{ field: 'expiresAt', message: `expiresAt must be at most ${command.maxExpiresAt.toISOString()} (MFA_EXEMPTION_MAX_DAYS)` }]);
  }
  const expiresAt = command.expiresAt ?? command.maxExpiresAt;
  const state = current ?? newOrgPolicy(command.orgId);
  const existing = activeExemption(stored, now);
  if (existing && existing.reason === command.reason && (command.expiresAt === null || existing.expiresAt?.getTime() === expiresAt.getTime())) {
    return { state, events: [] };
  }
  const exemption: Exemption = {
    userId: command.userId,
    reason: command.reason,
    expiresAt,
    grantedBy: command.actorId,
    grantedAt: now,
  };
  return {
    state: withChange(state, { userId: command.userId, exemption, revision: command.revision }),
    events: [
      {
        type: 'UserMfaExemptionGranted',
        data: {
          orgId: state.orgId,
          userId: command.userId,
          grantedBy: command.actorId,
          reason: command.reason,
          expiresAt: expiresAt.toISOString(),
        },
      },
    ],
  };
}

export interface RevokeExemption {
  orgId: string;
  userId: string;
  actorId: string;
  revision: number;
}

export function decideRevokeExemption(current: OrgPolicyState | null, stored: Exemption | null, command: RevokeExemption, now: Date): Decision<OrgPolicyState> {
  const exemption = activeExemption(stored, now);
  if (!current || !exemption) throw new AppError('not_found', 'EXEMPTION_NOT_FOUND', 'Exemption not found');
  return {
    state: withChange(current, { userId: command.userId, exemption: null, revision: command.revision }),
    events: [
      {
        type: 'UserMfaExemptionRevoked',
        data: {
          orgId: current.orgId,
          userId: command.userId,
          grantedBy: exemption.grantedBy,
          reason: exemption.reason,
          expiresAt: exemption.expiresAt ? exemption.expiresAt.toISOString() : null,
          revokedBy: command.actorId,
        },
      },
    ],
  };
}
