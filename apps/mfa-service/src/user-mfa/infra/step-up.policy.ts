import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import type { Decision } from '@mfa/common/domain/decision';
import { assertStepUp, withStepUp } from '../domain/step-up';
import type { Subject, UserMfaState } from '../domain/user-mfa';

/** Applies the configured step-up window (MFA_STEP_UP_WINDOW_SECONDS) to a factor-changing decision. */
@Injectable()
export class StepUpPolicy {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  guard<D extends Decision<UserMfaState>>(subject: Subject, decide: (state: UserMfaState | null) => D, now: Date): (state: UserMfaState | null) => D {
    return withStepUp(decide, this.proofOf(subject), now);
  }

  /** For a change to someone else's factors (an admin reset): the acting user's own step-up, on their own state. */
  assertActor(actor: Subject, actorState: UserMfaState | null, now: Date): void {
    assertStepUp(actorState, this.proofOf(actor), now);
  }

  private proofOf(subject: Subject) {
    return { tokenMfaAt: subject.tokenMfaAt ?? null, windowMs: this.config.stepUp.windowMs };
  }
}
