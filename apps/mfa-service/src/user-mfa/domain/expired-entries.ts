import { noMethod, UserMfaState } from './user-mfa';

/**
 * Transient entries of a user's document — outstanding magic links, WebAuthn challenges and an
 * authenticator-app setup never verified — are dropped once they have been expired this long.
 * Until then a late attempt is still told "expired" (not "unknown"); after it, nothing can use
 * them and they only take space (an abandoned setup's sealed secret would stay at rest for good).
 */
export const EXPIRED_ENTRY_GRACE_MS = 60 * 60 * 1000;

const live = (expiresAt: Date, now: Date) => expiresAt.getTime() + EXPIRED_ENTRY_GRACE_MS > now.getTime();

/** When the pending authenticator-app setup expires (null: none pending). */
function pendingTotpExpiry(state: Pick<UserMfaState, 'methods' | 'totp'>): Date | null {
  return state.methods.GOOGLE_AUTH.status === 'pending' ? (state.totp?.pendingExpiresAt ?? null) : null;
}

/** The state without transient entries past their grace (the same object when there are none). */
export function withoutExpiredEntries(state: UserMfaState, now: Date): UserMfaState {
  const magicLinks = state.magicLinks.filter((l) => live(l.expiresAt, now));
  const passkeyChallenges = state.passkeyChallenges.filter((c) => live(c.expiresAt, now));
  const totpSetup = pendingTotpExpiry(state);
  const abandonedSetup = totpSetup !== null && !live(totpSetup, now);
  if (magicLinks.length === state.magicLinks.length && passkeyChallenges.length === state.passkeyChallenges.length && !abandonedSetup) return state;
  return {
    ...state,
    magicLinks,
    passkeyChallenges,
    // The method goes back to "not set up": its secret and the backup codes issued with it leave too.
    ...(abandonedSetup ? { totp: null, methods: { ...state.methods, GOOGLE_AUTH: noMethod() } } : {}),
  };
}

/** When the first transient entry becomes removable (null: none): what the sweep looks for. */
export function firstRemovableAt(state: Pick<UserMfaState, 'magicLinks' | 'passkeyChallenges' | 'methods' | 'totp'>): Date | null {
  const totpSetup = pendingTotpExpiry(state);
  const times = [...state.magicLinks, ...state.passkeyChallenges, ...(totpSetup ? [{ expiresAt: totpSetup }] : [])].map(
    (e) => e.expiresAt.getTime() + EXPIRED_ENTRY_GRACE_MS,
  );
  return times.length === 0 ? null : new Date(Math.min(...times));
}
