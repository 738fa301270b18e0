import type { UserMfaState } from './user-mfa';

/**
 * Transient entries of a user's document — outstanding magic links and WebAuthn challenges — are
 * dropped once they have been expired this long. Until then a late attempt is still told
 * "expired" (not "unknown"); after it, nothing can use them and they only take space.
 */
export const EXPIRED_ENTRY_GRACE_MS = 60 * 60 * 1000;

const live = (expiresAt: Date, now: Date) => expiresAt.getTime() + EXPIRED_ENTRY_GRACE_MS > now.getTime();

/** The state without transient entries past their grace (the same object when there are none). */
export function withoutExpiredEntries(state: UserMfaState, now: Date): UserMfaState {
  const magicLinks = state.magicLinks.filter((l) => live(l.expiresAt, now));
  const passkeyChallenges = state.passkeyChallenges.filter((c) => live(c.expiresAt, now));
  if (magicLinks.length === state.magicLinks.length && passkeyChallenges.length === state.passkeyChallenges.length) return state;
  return { ...state, magicLinks, passkeyChallenges };
}

/** When the first transient entry becomes removable (null: none): what the sweep looks for. */
export function firstRemovableAt(state: Pick<UserMfaState, 'magicLinks' | 'passkeyChallenges'>): Date | null {
  const times = [...state.magicLinks, ...state.passkeyChallenges].map((e) => e.expiresAt.getTime() + EXPIRED_ENTRY_GRACE_MS);
  return times.length === 0 ? null : new Date(Math.min(...times));
}
