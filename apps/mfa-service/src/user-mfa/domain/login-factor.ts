import type { Assurance } from './assurance';
import type { UserMfaState } from './user-mfa';
import type { VerificationFamily } from './verification-state';

export type { Assurance } from './assurance';

export type VerificationFailureReason =
  | 'invalid_code'
  | 'replayed_code'
  | 'invalid_token'
  | 'expired'
  | 'invalid_challenge'
  | 'invalid_assertion'
  | 'counter_regression';

/**
 * A check's outcome, with the state to commit either way (single-use parts consumed). A success
 * names the authenticator that was used (what a remembered device is bound to) and what it is worth.
 */
export type LoginCheck =
  | { ok: true; state: UserMfaState; authenticatorId: string; assurance: Assurance }
  | { ok: false; reason: VerificationFailureReason; state: UserMfaState };

/**
 * What every factor gives login-time verification (login-verification.ts dispatches through it;
 * each factor folder implements it once, in factors/<factor>/domain/<factor>.login.ts).
 */
export interface FactorLogin<F extends { method: string }> {
  /** Whose failures it counts toward (verification-state.ts): guessable codes share one family. */
  family: VerificationFamily;
  /** Whether the user can present the factor at all (else 400 METHOD_NOT_ENABLED, not a counted failure). */
  canPresent(state: UserMfaState): boolean;
  /** What a success with `factor` is worth. */
  assurance(factor: F): Assurance;
  /** Checks `factor` against the state the decision commits on, consuming what is single-use. */
  check(state: UserMfaState, factor: F, now: Date): LoginCheck;
}
