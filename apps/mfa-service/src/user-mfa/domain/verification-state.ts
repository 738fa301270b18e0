/**
 * Login-time verification bookkeeping of one user: failures per method family (lockout) and the
 * sessions a verify-login succeeded for (step-up proof for that session only).
 *
 * Families: codes (GOOGLE_AUTH, BACKUP_CODE) can be guessed and share one counter; PASSKEY and
 * MAGIC_LINK cannot be guessed and each count apart, so a code lockout never blocks a valid passkey.
 * Consecutive failures accumulate across lockouts until a success of that family: every
 * FAILURES_PER_LOCK failures lock the family for BASE_LOCK_MS, doubling each time up to MAX_LOCK_MS;
 * at HARD_STOP_FAILURES it stays locked until an admin resets the user's MFA.
 */
export type VerificationFamily = 'codes' | 'passkey' | 'magicLink' | 'trustedDevice';

export interface FamilyAttempts {
  /** Consecutive failures since the family's last success (not reset by a lock ending). */
  failures: number;
  /** Locked until then; null with failures ≥ HARD_STOP_FAILURES: locked until an admin reset. */
  lockedUntil: Date | null;
}

export interface VerifiedSession {
  sessionId: string;
  at: Date;
}

export interface VerificationState {
  families: Partial<Record<VerificationFamily, FamilyAttempts>>;
  /** Most recent first, at most MAX_VERIFIED_SESSIONS. */
  verifiedSessions: VerifiedSession[];
}

export const FAILURES_PER_LOCK = 5;
export const BASE_LOCK_MS = 15 * 60_000;
export const MAX_LOCK_MS = 24 * 60 * 60_000;
export const HARD_STOP_FAILURES = 100;
export const MAX_VERIFIED_SESSIONS = 10;

export const noVerification = (): VerificationState => ({ families: {}, verifiedSessions: [] });

export type LockStatus = { locked: false } | { locked: true; until: Date | null };

export function lockStatus(attempts: FamilyAttempts | undefined, now: Date): LockStatus {
  if (!attempts) return { locked: false };
  if (attempts.failures >= HARD_STOP_FAILURES) return { locked: true, until: null };
  if (attempts.lockedUntil && attempts.lockedUntil.getTime() > now.getTime()) return { locked: true, until: attempts.lockedUntil };
  return { locked: false };
}

/** How long the n-th lock (1-based) of a family lasts: 15 min, 30 min, 1 h, ... at most 24 h. */
export function lockDurationMs(lockNumber: number): number {
  return Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** Math.min(lockNumber - 1, 20));
}

/** One more failure; `lock` is set when this failure starts a new lock (until null: the hard stop). */
export function countFailure(attempts: FamilyAttempts | undefined, now: Date): { attempts: FamilyAttempts; lock: { until: Date | null } | null } {
  const failures = (attempts?.failures ?? 0) + 1;
  if (failures >= HARD_STOP_FAILURES) return { attempts: { failures, lockedUntil: null }, lock: { until: null } };
  if (failures % FAILURES_PER_LOCK === 0) {
    const until = new Date(now.getTime() + lockDurationMs(failures / FAILURES_PER_LOCK));
    return { attempts: { failures, lockedUntil: until }, lock: { until } };
  }
  return { attempts: { failures, lockedUntil: attempts?.lockedUntil ?? null }, lock: null };
}

/** A success clears its family's count and, when the request carries a session id, proves step-up for that session. */
export function recordSuccess(state: VerificationState, family: VerificationFamily, sessionId: string | null, now: Date): VerificationState {
  const families = { ...state.families };
  delete families[family];
  const verifiedSessions = sessionId
    ? [{ sessionId, at: now }, ...state.verifiedSessions.filter((s) => s.sessionId !== sessionId)].slice(0, MAX_VERIFIED_SESSIONS)
    : state.verifiedSessions;
  return { families, verifiedSessions };
}

/**
 * Reads what is stored, including the shape written before families existed
 * (`failedAttempts`, `lockedUntil`, `lastVerifiedAt`): its count and lock become the codes
 * family's; its `lastVerifiedAt` proved step-up for any session and is dropped.
 */
export function verificationFromStored(stored: unknown): VerificationState {
  if (!stored || typeof stored !== 'object') return noVerification();
  const doc = stored as Record<string, unknown>;
  if ('families' in doc || 'verifiedSessions' in doc) {
    return {
      families: (doc.families ?? {}) as VerificationState['families'],
      verifiedSessions: Array.isArray(doc.verifiedSessions) ? (doc.verifiedSessions as VerifiedSession[]) : [],
    };
  }
  const failures = typeof doc.failedAttempts === 'number' ? doc.failedAttempts : 0;
  const lockedUntil = doc.lockedUntil instanceof Date ? doc.lockedUntil : null;
  return { families: failures > 0 || lockedUntil ? { codes: { failures, lockedUntil } } : {}, verifiedSessions: [] };
}
