import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { APP_CONFIG, AppConfig, AppError, CLOCK, Clock } from '@mfa/common';
import { isEnabled, UserMfaState } from '../../domain/user-mfa';
import { decideRequestMagicLink } from '../../factors/magic-link/domain/magic-link.setup';
import { issueMagicLink } from '../../factors';
import { MAGIC_LINK_RECIPIENT_BUCKET, recipientKey } from '../../infra/magic-link-recipients';
import { RateLimiter } from '../../infra/rate-limiter';
import { mayConfigure, methodNotAllowed } from '../../domain/user-policy';
import { OrgPolicyReader } from '../../infra/org-policy.reader';
import { StepUpPolicy } from '../../infra/step-up.policy';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { SendMagicLinkCommand } from './send-magic-link.command';

@CommandHandler(SendMagicLinkCommand)
export class SendMagicLinkHandler implements ICommandHandler<SendMagicLinkCommand, void> {
  constructor(
    private readonly users: UserMfaRepository,
    private readonly limiter: RateLimiter,
    private readonly stepUp: StepUpPolicy,
    private readonly policies: OrgPolicyReader,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: SendMagicLinkCommand): Promise<void> {
    const { userId } = command.subject;
    await this.limiter.consume('magic-link-send', userId, this.config.rateLimits.magicLinkSend);
    const { state: before } = await this.users.load(userId);
    const recipient = before?.email ?? command.tokenEmail;
    if (recipient) await this.limiter.consume(MAGIC_LINK_RECIPIENT_BUCKET, recipientKey(recipient), this.config.rateLimits.magicLinkRecipient);
    const now = this.clock.now();
    const issued = issueMagicLink(this.config.magicLink.baseUrl, now);
    const { policy } = await this.policies.forUser(command.subject, now);
    // Purpose and address are decided on the state the decision commits against.
    const decide = (state: UserMfaState | null) => {
      const email = state?.email ?? command.tokenEmail;
      if (!email) throw new AppError('not_found', 'USER_NOT_FOUND', 'User not found');
      const purpose = isEnabled(state, 'MAGIC_LINK') ? 'login' : 'setup';
      // A setup link is a setup: refused where one of the user's organizations excludes the method.
      if (purpose === 'setup' && !mayConfigure(policy, 'MAGIC_LINK')) throw methodNotAllowed();
      const request = (current: UserMfaState | null, stepUpProven = false) =>
        decideRequestMagicLink(current, { ...command.subject, ...issued, purpose, email, stepUpProven }, now);
      // A setup link adds a factor (step-up once the user has MFA); a login link is the factor itself.
      return purpose === 'setup' ? this.stepUp.guard(command.subject, request, now)(state) : request(state);
    };
    await this.users.execute(userId, decide, command.meta, now);
  }
}
