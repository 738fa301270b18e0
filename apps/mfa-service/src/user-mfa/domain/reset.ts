import type { Decision, DomainEvent } from '@mfa/common/domain/decision';
import { MFA_METHODS } from './mfa-method';
import { load, newUserMfa, orgOf, Subject, UserMfaState } from './user-mfa';

export interface ResetMfa extends Subject {
  resetBy: string;
  /** Every organization the user belonged to (on the event, so each can tell the user). */
  orgIds: string[];
  /** An admin reset also ends a lockout (the only way out of the hard stop); a self-reset never does. */
  clearLockout: boolean;
}

function hasAnything(state: UserMfaState): boolean {
  return (
    MFA_METHODS.some((m) => state.methods[m].status !== 'none') ||
    state.totp !== null ||
    state.backupCodes.length > 0 ||
    state.magicLinks.length > 0 ||
    state.passkeys.length > 0 ||
    state.passkeyChallenges.length > 0 ||
    state.email !== null ||
    state.trustedDevices.length > 0 ||
    state.enabledMethods.length > 0 ||
    state.primaryMethod !== null
  );
}

/** Removes every method, secret and backup code and clears primary. Nothing to remove: a no-op. */
export function decideReset(current: UserMfaState | null, command: ResetMfa, _now: Date): Decision<UserMfaState> {
  const state = load(current, command);
  const endsLockout = command.clearLockout && Object.keys(state.verification.families).length > 0;
  if (!hasAnything(state) && !endsLockout) return { state, events: [] };
  return {
    // A self-reset keeps the lockout (resetting must not be a way around it); no session keeps a step-up.
    state: {
      ...newUserMfa(state.userId, state.orgId),
      verification: { families: command.clearLockout ? {} : state.verification.families, verifiedSessions: [] },
    },
    events: [
      {
        type: 'MfaReset',
        data: {
          userId: command.userId,
          orgId: orgOf(state, command),
          orgIds: [...command.orgIds],
          resetBy: command.resetBy,
          selfService: command.resetBy === command.userId,
        },
      },
      // Every remembered device stops standing in for a factor that no longer exists.
      ...state.trustedDevices.map(
        (d): DomainEvent => ({
          type: 'TrustedDeviceRevoked',
          data: { userId: command.userId, orgId: orgOf(state, command), deviceId: d.id, reason: 'mfa_reset' },
        }),
      ),
    ],
  };
}
