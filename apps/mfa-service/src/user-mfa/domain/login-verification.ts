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
} from './user-mfa';
import { countFailure, familyOf, lockStatus, recordSuccess } from './verification-state';

/**
 * Login-time verification of a second factor (POST /mfa/verify-login): one decision that
 * checks the factor against the state it commits on, consumes what is single-use (TOTP step,
 * backup code, magic link, passkey challenge) and keeps the lockout bookkeeping, so every
 * attempt — success or failure — is one version-guarded write with its events.
 */
export type VerificationMethod = MfaMethod | 'BACKUP_CODE';

export type VerificationFailureReason =
  | 'invalid_code'
  | 'replayed_code'
  | 'invalid_token'
  | 'expired'
  | 'invalid_challenge'
  | 'invalid_assertion'
  | 'counter_regression';

/** What the infrastructure concluded about a passkey assertion before the decision. */
export type PasskeyAssertionResult =
  | { ok: true; credentialId: string; newCounter: number; backedUp: boolean; userVerified: boolean }
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
  | { verified: true; method: VerificationMethod; assurance: Assurance }
  | { verified: false; method: VerificationMethod; reason: VerificationFailureReason };

export interface LoginDecision extends Decision<UserMfaState> {
  outcome: LoginOutcome;
}

/** What a verified factor is worth (NIST SP 800-63B-4), as the mfaToken states it: `acr` and RFC 8176 `amr`. */
export interface Assurance {
  acr: 'aal1' | 'aal2';
  amr: string[];
}

/** GOOGLE_AUTH and BACKUP_CODE: aal2 `otp`; PASSKEY: aal2 `hwk` (+ `user` when verified); MAGIC_LINK: aal1 `email`. */
export function assuranceOf(factor: LoginFactor): Assurance {
  switch (factor.method) {
    case 'GOOGLE_AUTH':
    case 'BACKUP_CODE':
      return { acr: 'aal2', amr: ['otp'] };
    case 'PASSKEY':
      return { acr: 'aal2', amr: factor.assertion.ok && factor.assertion.userVerified ? ['hwk', 'user'] : ['hwk'] };
    case 'MAGIC_LINK':
      return { acr: 'aal1', amr: ['email'] };
  }
}

export const verificationFailed = (): AppError => new AppError('validation', 'VERIFICATION_FAILED', 'MFA verification failed');

/** 423 while a family is locked; `until` null is the hard stop (`retryAfter: null`: only an admin reset ends it). */
export function lockedOut(until: Date | null, now: Date): AppError {
  const retryAfterSeconds = until === null ? null : Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  return new AppError('locked', 'LOCKED_OUT', 'Too many failed MFA attempts, try again later', { retryAfterSeconds });
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
 * Verifies one login factor. A locked family: 423 from what was read — nothing is written or
 * published. A method the user cannot present: 400 METHOD_NOT_ENABLED, not counted. Otherwise a
 * success clears the family's count and proves step-up for the request's session; a failure
 * counts, and each new lock (verification-state.ts) publishes one MfaLockedOut.
 */
export function decideVerifyLogin(current: UserMfaState | null, command: VerifyLogin, now: Date): LoginDecision {
  const state = load(current, command);
  const method = command.factor.method;
  const family = familyOf(method);
  const attempts = state.verification.families[family];
  const lock = lockStatus(attempts, now);
  if (lock.locked) throw lockedOut(lock.until, now);
  if (!canPresent(state, method)) throw methodNotEnabled();

  const base = { userId: command.userId, orgId: orgOf(state, command), method };
  const result = check(state, command.factor, now);
  if (result.ok) {
    return {
      state: { ...result.state, verification: recordSuccess(state.verification, family, command.sessionId ?? null, now) },
      events: [{ type: 'MfaVerificationSucceeded', data: base }],
      outcome: { verified: true, method, assurance: assuranceOf(command.factor) },
    };
  }

  const counted = countFailure(attempts, now);
  const events: DomainEvent[] = [{ type: 'MfaVerificationFailed', data: { ...base, reason: result.reason } }];
  if (counted.lock) {
    events.push({
      type: 'MfaLockedOut',
      data: { userId: command.userId, orgId: base.orgId, until: counted.lock.until?.toISOString() ?? null, failures: counted.attempts.failures, family },
    });
  }
  return {
    state: { ...result.state, verification: { ...state.verification, families: { ...state.verification.families, [family]: counted.attempts } } },
    events,
    outcome: { verified: false, method, reason: result.reason },
  };
}
