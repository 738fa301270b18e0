import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import type { Decision } from '@mfa/common/domain/decision';
import { withStepUp } from '../domain/step-up';
import type { Subject, UserMfaState } from '../domain/user-mfa';

/** Applies the configured step-up window (MFA_STEP_UP_WINDOW_SECONDS) to a factor-changing decision. */
@Injectable()
export class StepUpPolicy {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  guard<D extends Decision<UserMfaState>>(subject: Subject, decide: (state: UserMfaState | null) => D, now: Date): (state: UserMfaState | null) => D {
    return withStepUp(decide, { tokenMfaAt: subject.tokenMfaAt ?? null, windowMs: this.config.stepUp.windowMs }, now);
  }
}
