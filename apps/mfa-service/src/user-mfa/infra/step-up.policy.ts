import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig, AppError } from '@mfa/common';
import type { Decision } from '@mfa/common/domain/decision';
import { isStepUpProven, StepUpProof, stepUpRequired, withStepUp } from '../domain/step-up';
import type { Subject, UserMfaState } from '../domain/user-mfa';
import { UserMfaRepository } from './user-mfa.repository';

export const adminMfaRequired = (): AppError => new AppError('forbidden', 'ADMIN_MFA_REQUIRED', 'This change requires an administrator who has MFA enabled');

/** Applies the configured step-up window (MFA_STEP_UP_WINDOW_SECONDS) to factor- and policy-changing decisions. */
@Injectable()
export class StepUpPolicy {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UserMfaRepository,
  ) {}

  guard<D extends Decision<UserMfaState>>(
    subject: Subject,
    decide: (state: UserMfaState | null, stepUpProven: boolean) => D,
    now: Date,
  ): (state: UserMfaState | null) => D {
    return withStepUp(decide, this.proofOf(subject), now);
  }

  /**
   * For an admin acting on someone else's factors or weakening org policy: fail closed — an admin
   * without MFA gets 403 ADMIN_MFA_REQUIRED; one with MFA must prove step-up with this very session.
   */
  async assertAdmin(actor: Subject, now: Date): Promise<void> {
    const refusal = await this.adminRefusal(actor, now);
    if (refusal) throw refusal;
  }

  /** What assertAdmin would throw (null: the admin has MFA and this session proved it recently). */
  async adminRefusal(actor: Subject, now: Date): Promise<AppError | null> {
    const { state } = await this.users.load(actor.userId);
    if (!state || state.enabledMethods.length === 0) return adminMfaRequired();
    return isStepUpProven(state, this.proofOf(actor), now) ? null : stepUpRequired();
  }

  private proofOf(subject: Subject): StepUpProof {
    return {
      tokenMfaAt: subject.tokenMfaAt ?? null,
      sessionId: subject.sessionId ?? null,
      windowMs: this.config.stepUp.windowMs,
      toleranceMs: this.config.stepUp.toleranceMs,
    };
  }
}
