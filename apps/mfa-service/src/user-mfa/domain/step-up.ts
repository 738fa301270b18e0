import { AppError } from '@mfa/common/errors/app-error';
import type { Decision } from '@mfa/common/domain/decision';
import type { UserMfaState } from './user-mfa';

/**
 * Step-up (docs/trust-model.md): once a user has an enabled method, changing factors needs a
 * recent second factor proven by the *session* making the request, never by the user:
 * (a) the bearer token's `amr` names a second factor and its `auth_time` is present, not in the
 *     future beyond the clock tolerance, and within the window; or
 * (b) the token carries a session id (`sid`) and a verify-login made with a token of that same
 *     `sid` succeeded within the window.
 * A verify-login by one session proves nothing for another session of the same user.
 */
export interface StepUpProof {
  /** The token's `auth_time` when its `amr` names a second factor, else null. */
  tokenMfaAt: Date | null;
  /** The token's `sid`, if it has one. */
  sessionId: string | null;
  /** How recent the proof must be. */
  windowMs: number;
  /** How far in the future an `auth_time` may be (clock skew). */
  toleranceMs: number;
}

/** `amr` values (RFC 8176) that prove a second factor. `pwd`, `email`, `sms` (and the like) never do. */
export const SECOND_FACTOR_AMR: readonly string[] = ['otp', 'hwk', 'swk', 'mfa'];

export const stepUpRequired = (): AppError => new AppError('forbidden', 'STEP_UP_REQUIRED', 'A recent MFA verification is required for this change');

function isRecent(at: Date | null, proof: StepUpProof, now: Date): boolean {
  if (at === null) return false;
  const age = now.getTime() - at.getTime();
  return age <= proof.windowMs && age >= -proof.toleranceMs;
}

/** Whether this request's session has proven a recent second factor (whatever the user's state). */
export function isStepUpProven(state: UserMfaState | null, proof: StepUpProof, now: Date): boolean {
  if (isRecent(proof.tokenMfaAt, proof, now)) return true;
  if (!proof.sessionId || !state) return false;
  return state.verification.verifiedSessions.some((s) => s.sessionId === proof.sessionId && isRecent(s.at, proof, now));
}

export function assertStepUp(state: UserMfaState | null, proof: StepUpProof, now: Date): void {
  if (!state || state.enabledMethods.length === 0) return;
  if (!isStepUpProven(state, proof, now)) throw stepUpRequired();
}

/**
 * `decide`, preceded by the step-up check on the very state it decides on. `decide` learns whether
 * step-up was proven: a setup started without it is cancelled once any method becomes enabled.
 */
export function withStepUp<D extends Decision<UserMfaState>>(
  decide: (state: UserMfaState | null, stepUpProven: boolean) => D,
  proof: StepUpProof,
  now: Date,
): (state: UserMfaState | null) => D {
  return (state) => {
    assertStepUp(state, proof, now);
    return decide(state, isStepUpProven(state, proof, now));
  };
}
