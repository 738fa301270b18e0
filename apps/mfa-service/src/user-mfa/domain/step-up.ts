import { AppError } from '@mfa/common/errors/app-error';
import type { Decision } from '@mfa/common/domain/decision';
import type { UserMfaState } from './user-mfa';

/**
 * Step-up (requirement 17): once a user has an enabled method, adding, enabling, disabling or
 * resetting factors and regenerating backup codes needs a recent second factor — a bearer token
 * whose `amr` shows one, or a successful verify-login — so a stolen password session alone
 * cannot swap the factors.
 */
export interface StepUpProof {
  /** When the bearer token proves a second factor (its `amr` names one), else null. */
  tokenMfaAt: Date | null;
  /** How recent the proof must be. */
  windowMs: number;
}

/** `amr` values (RFC 8176) that prove a second factor. */
export const SECOND_FACTOR_AMR = ['mfa', 'otp', 'hwk', 'swk', 'sms', 'email', 'fpt', 'face', 'iris'];

export const stepUpRequired = (): AppError =>
  new AppError('forbidden', 'STEP_UP_REQUIRED', 'A recent MFA verification is required for this change');

function isRecent(at: Date | null, now: Date, windowMs: number): boolean {
  return at !== null && now.getTime() - at.getTime() <= windowMs;
}

export function assertStepUp(state: UserMfaState | null, proof: StepUpProof, now: Date): void {
  if (!state || state.enabledMethods.length === 0) return;
  if (isRecent(proof.tokenMfaAt, now, proof.windowMs) || isRecent(state.verification.lastVerifiedAt, now, proof.windowMs)) return;
  throw stepUpRequired();
}

/** `decide`, preceded by the step-up check on the very state it decides on. */
export function withStepUp<D extends Decision<UserMfaState>>(
  decide: (state: UserMfaState | null) => D,
  proof: StepUpProof,
  now: Date,
): (state: UserMfaState | null) => D {
  return (state) => {
    assertStepUp(state, proof, now);
    return decide(state);
  };
}
