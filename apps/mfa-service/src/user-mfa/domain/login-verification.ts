import { AppError } from '@mfa/common/errors/app-error';
import type { Decision, DomainEvent } from '@mfa/common/domain/decision';
import type { VerificationMethod } from './mfa-method';
import { load, methodNotEnabled, orgOf, Subject, UserMfaState } from './user-mfa';
import { countFailure, lockStatus, recordSuccess } from './verification-state';
import type { Assurance, FactorLogin, VerificationFailureReason } from './login-factor';
import { backupCodeLogin, BackupCodeLoginFactor } from '../factors/backup-codes/domain/backup-codes.login';
import { magicLinkLogin, MagicLinkLoginFactor } from '../factors/magic-link/domain/magic-link.login';
import { passkeyLogin, PasskeyLoginFactor } from '../factors/passkey/domain/passkey.login';
import { totpLogin, TotpLoginFactor } from '../factors/totp/domain/totp.login';
import { trustedDeviceLogin, TrustedDeviceLoginFactor } from '../factors/trusted-device/domain/trusted-device.login';
import { addTrustedDevice } from '../factors/trusted-device/domain/trusted-devices';

export type { VerificationMethod } from './mfa-method';
export type { Assurance, VerificationFailureReason } from './login-factor';
export type { PasskeyAssertionResult } from '../factors/passkey/domain/passkey.login';

/**
 * Login-time verification of a second factor (POST /mfa/verify-login): one decision that
 * checks the factor against the state it commits on, consumes what is single-use (TOTP step,
 * backup code, magic link, passkey challenge) and keeps the lockout bookkeeping, so every
 * attempt — success or failure — is one version-guarded write with its events.
 */

/** The factor presented, with the checks the infrastructure supplies (secrets stay outside the domain). */
export type LoginFactor = TotpLoginFactor | BackupCodeLoginFactor | MagicLinkLoginFactor | PasskeyLoginFactor | TrustedDeviceLoginFactor;

/** Every factor's login part, by method: a new factor is one line here (and its folder). */
const FACTORS: { [M in LoginFactor['method']]: FactorLogin<Extract<LoginFactor, { method: M }>> } = {
  GOOGLE_AUTH: totpLogin,
  BACKUP_CODE: backupCodeLogin,
  MAGIC_LINK: magicLinkLogin,
  PASSKEY: passkeyLogin,
  TRUSTED_DEVICE: trustedDeviceLogin,
};

// TypeScript cannot correlate FACTORS[factor.method] with factor's own type; the table above is checked per method.
const factorLogin = <F extends LoginFactor>(factor: F): FactorLogin<F> => FACTORS[factor.method] as unknown as FactorLogin<F>;

/** "Remember this device" asked with a verify-login the policy allows: the device to add on success. */
export interface RememberDevice {
  id: string;
  tokenHash: string;
  name: string | null;
  /** The smallest rememberDeviceDays over the user's organizations (> 0). */
  days: number;
}

export interface VerifyLogin extends Subject {
  factor: LoginFactor;
  rememberDevice?: RememberDevice | null;
}

export type LoginOutcome =
  | { verified: true; method: VerificationMethod; assurance: Assurance; trustedDevice: { id: string; expiresAt: Date } | null }
  | { verified: false; method: VerificationMethod; reason: VerificationFailureReason };

export interface LoginDecision extends Decision<UserMfaState> {
  outcome: LoginOutcome;
}

/** GOOGLE_AUTH and BACKUP_CODE: aal2 `otp`; PASSKEY: aal2 `hwk` (+ `user` when verified); MAGIC_LINK: aal1 `email`. */
export function assuranceOf(factor: LoginFactor): Assurance {
  return factorLogin(factor).assurance(factor);
}

export const verificationFailed = (): AppError => new AppError('validation', 'VERIFICATION_FAILED', 'MFA verification failed');

/** 423 while a family is locked; `until` null is the hard stop (`retryAfter: null`: only an admin reset ends it). */
export function lockedOut(until: Date | null, now: Date): AppError {
  const retryAfterSeconds = until === null ? null : Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  return new AppError('locked', 'LOCKED_OUT', 'Too many failed MFA attempts, try again later', { retryAfterSeconds });
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
  const login = factorLogin(command.factor);
  const family = login.family;
  const attempts = state.verification.families[family];
  const lock = lockStatus(attempts, now);
  if (lock.locked) throw lockedOut(lock.until, now);
  if (!login.canPresent(state)) throw methodNotEnabled();

  const base = { userId: command.userId, orgId: orgOf(state, command), method };
  const result = login.check(state, command.factor, now);
  if (result.ok) {
    // A remembered device logs in without a second factor, so it proves no step-up for the session.
    const sessionId = method === 'TRUSTED_DEVICE' ? null : (command.sessionId ?? null);
    const verified: UserMfaState = { ...result.state, verification: recordSuccess(state.verification, family, sessionId, now) };
    const assurance = result.assurance;
    const events: DomainEvent[] = [{ type: 'MfaVerificationSucceeded', data: base }];
    const remember = command.rememberDevice;
    if (!remember || method === 'TRUSTED_DEVICE') return { state: verified, events, outcome: { verified: true, method, assurance, trustedDevice: null } };
    const added = addTrustedDevice(verified, command, { ...remember, method, authenticatorId: result.authenticatorId, acr: assurance.acr }, now);
    return {
      state: added.state,
      events: [...events, ...added.events],
      outcome: { verified: true, method, assurance, trustedDevice: { id: remember.id, expiresAt: added.expiresAt } },
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
