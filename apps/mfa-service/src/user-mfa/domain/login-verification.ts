import { AppError } from '@mfa/common/errors/app-error';
import type { Decision, DomainEvent } from '@mfa/common/domain/decision';
import { MfaMethod } from './mfa-method';
import {
  findPasskeyChallenge,
  isEnabled,
  load,
  methodNotEnabled,
  orgOf,
  StoredCode,
  Subject,
  TotpCheck,
  TotpState,
  UserMfaState,
  VerificationState,
} from './user-mfa';

/**
 * Login-time verification of a second factor (POST /mfa/verify-login): one decision that
 * checks the factor against the state it commits on, consumes what is single-use (TOTP step,
 * backup code, magic link, passkey challenge) and keeps the lockout bookkeeping, so every
 * attempt — success or failure — is one version-guarded write with its events.
 */
export type VerificationMethod = MfaMethod | 'BACKUP_CODE';

/** Consecutive failures that lock verification (requirement 6). */
export const MAX_FAILED_ATTEMPTS = 5;
export const LOCKOUT_MS = 15 * 60_000;

export type VerificationFailureReason =
  | 'invalid_code'
  | 'replayed_code'
  | 'invalid_token'
  | 'expired'
  | 'invalid_challenge'
  | 'invalid_assertion'
  | 'counter_regression'
  | 'locked';

/** What the infrastructure concluded about a passkey assertion before the decision. */
export type PasskeyAssertionResult =
  | { ok: true; credentialId: string; newCounter: number; backedUp: boolean }
  | { ok: false; reason: 'invalid_assertion' | 'counter_regression' };

/** The factor presented, with the checks the infrastructure supplies (secrets stay outside the domain). */
export type LoginFactor =
  | { method: 'GOOGLE_AUTH'; check: (totp: TotpState) => TotpCheck }
  | { method: 'BACKUP_CODE'; findUnused: (codes: readonly StoredCode[]) => number }
  | { method: 'MAGIC_LINK'; tokenHash: string }
  /** `challenge` is the one the client signed (from its clientDataJSON), null when unreadable. */
  | { method: 'PASSKEY'; challenge: string | null; assertion: PasskeyAssertionResult };

export interface VerifyLogin extends Subject {
  factor: LoginFactor;
}

export type LoginOutcome =
  | { verified: true; method: VerificationMethod }
  | { verified: false; method: VerificationMethod; reason: VerificationFailureReason; lockedUntil: Date | null };

export interface LoginDecision extends Decision<UserMfaState> {
  outcome: LoginOutcome;
}

export const verificationFailed = (): AppError => new AppError('validation', 'VERIFICATION_FAILED', 'MFA verification failed');

export function lockedOut(until: Date, now: Date): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  return new AppError('locked', 'LOCKED_OUT', 'Too many failed MFA attempts, try again later', { retryAfterSeconds });
}

export function isLocked(verification: VerificationState, now: Date): boolean {
  return verification.lockedUntil !== null && verification.lockedUntil.getTime() > now.getTime();
}

/** Whether the user can present `method` at all (else 400 METHOD_NOT_ENABLED, not a counted failure). */
function canPresent(state: UserMfaState, method: VerificationMethod): boolean {
  if (method === 'BACKUP_CODE') return state.enabledMethods.length > 0 && state.backupCodes.some((c) => c.usedAt === null);
  return isEnabled(state, method);
}

type Check = { ok: true; state: UserMfaState } | { ok: false; reason: VerificationFailureReason; state: UserMfaState };

function checkTotp(state: UserMfaState, factor: Extract<LoginFactor, { method: 'GOOGLE_AUTH' }>): Check {
  const totp = state.totp;
  if (!totp || totp.pendingExpiresAt !== null) return { ok: false, reason: 'invalid_code', state };
  const result = factor.check(totp);
  if (!result.ok) return { ok: false, reason: result.reason === 'replayed_code' ? 'replayed_code' : 'invalid_code', state };
  // Only later steps are accepted from now on: the same code can never be accepted twice.
  return { ok: true, state: { ...state, totp: { ...totp, lastUsedStep: result.step } } };
}

function checkBackupCode(state: UserMfaState, factor: Extract<LoginFactor, { method: 'BACKUP_CODE' }>, now: Date): Check {
  const index = factor.findUnused(state.backupCodes);
  if (index < 0 || state.backupCodes[index].usedAt !== null) return { ok: false, reason: 'invalid_code', state };
  const backupCodes = state.backupCodes.map((code, i) => (i === index ? { ...code, usedAt: now } : code));
  return { ok: true, state: { ...state, backupCodes } };
}

function checkMagicLink(state: UserMfaState, factor: Extract<LoginFactor, { method: 'MAGIC_LINK' }>, now: Date): Check {
  const link = state.magicLinks.find((l) => l.tokenHash === factor.tokenHash);
  // A setup link is not a login factor: refused, and left as it was for the setup it belongs to.
  if (!link || link.purpose !== 'login') return { ok: false, reason: 'invalid_token', state };
  const consumed = { ...state, magicLinks: state.magicLinks.filter((l) => l !== link) };
  if (link.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired', state: consumed };
  return { ok: true, state: consumed };
}

function checkPasskey(state: UserMfaState, factor: Extract<LoginFactor, { method: 'PASSKEY' }>, now: Date): Check {
  const challenge = factor.challenge === null ? null : findPasskeyChallenge(state, factor.challenge, 'authentication', now);
  if (!challenge) {
    const stale = state.passkeyChallenges.some((c) => c.challenge === factor.challenge && c.ceremony === 'authentication');
    return { ok: false, reason: stale ? 'expired' : 'invalid_challenge', state };
  }
  // Consumed on first use, whatever the outcome (requirement 8).
  const consumed = { ...state, passkeyChallenges: state.passkeyChallenges.filter((c) => c !== challenge) };
  const assertion = factor.assertion;
  if (!assertion.ok) return { ok: false, reason: assertion.reason, state: consumed };
  const passkey = consumed.passkeys.find((p) => p.credentialId === assertion.credentialId);
  if (!passkey) return { ok: false, reason: 'invalid_assertion', state: consumed };
  // Re-checked on the state being committed: a concurrent login may have moved the counter.
  const counterAdvanced = (passkey.counter === 0 && assertion.newCounter === 0) || assertion.newCounter > passkey.counter;
  if (!counterAdvanced) return { ok: false, reason: 'counter_regression', state: consumed };
  const passkeys = consumed.passkeys.map((p) =>
    p === passkey ? { ...p, counter: assertion.newCounter, backedUp: assertion.backedUp, lastUsedAt: now } : p,
  );
  return { ok: true, state: { ...consumed, passkeys } };
}

function check(state: UserMfaState, factor: LoginFactor, now: Date): Check {
  switch (factor.method) {
    case 'GOOGLE_AUTH':
      return checkTotp(state, factor);
    case 'BACKUP_CODE':
      return checkBackupCode(state, factor, now);
    case 'MAGIC_LINK':
      return checkMagicLink(state, factor, now);
    case 'PASSKEY':
      return checkPasskey(state, factor, now);
  }
}

/**
 * Verifies one login factor. Locked: nothing is evaluated (recorded as a 'locked' failure).
 * A method the user cannot present: 400 METHOD_NOT_ENABLED, not counted. Otherwise a success
 * resets the failure count and records the time (step-up proof); a failure counts, and the
 * MAX_FAILED_ATTEMPTS-th consecutive one locks verification for LOCKOUT_MS (MfaLockedOut).
 */
export function decideVerifyLogin(current: UserMfaState | null, command: VerifyLogin, now: Date): LoginDecision {
  const state = load(current, command);
  const method = command.factor.method;
  const base = { userId: command.userId, orgId: orgOf(state, command), method };

  if (isLocked(state.verification, now)) {
    return {
      state,
      events: [{ type: 'MfaVerificationFailed', data: { ...base, reason: 'locked' } }],
      outcome: { verified: false, method, reason: 'locked', lockedUntil: state.verification.lockedUntil },
    };
  }
  if (!canPresent(state, method)) throw methodNotEnabled();

  const result = check(state, command.factor, now);
  if (result.ok) {
    return {
      state: { ...result.state, verification: { failedAttempts: 0, lockedUntil: null, lastVerifiedAt: now } },
      events: [{ type: 'MfaVerificationSucceeded', data: base }],
      outcome: { verified: true, method },
    };
  }

  const failedAttempts = state.verification.failedAttempts + 1;
  const events: DomainEvent[] = [{ type: 'MfaVerificationFailed', data: { ...base, reason: result.reason } }];
  if (failedAttempts < MAX_FAILED_ATTEMPTS) {
    return {
      state: { ...result.state, verification: { ...state.verification, failedAttempts, lockedUntil: null } },
      events,
      outcome: { verified: false, method, reason: result.reason, lockedUntil: null },
    };
  }
  const lockedUntil = new Date(now.getTime() + LOCKOUT_MS);
  events.push({ type: 'MfaLockedOut', data: { userId: command.userId, orgId: base.orgId, until: lockedUntil.toISOString() } });
  return {
    // The count starts again after the lockout ends.
    state: { ...result.state, verification: { ...state.verification, failedAttempts: 0, lockedUntil } },
    events,
    outcome: { verified: false, method, reason: result.reason, lockedUntil },
  };
}
