import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { APP_CONFIG, AppConfig, AppError, CLOCK, Clock } from '@mfa/common';
import { decideVerifyTotpSetup } from '../../factors/totp/domain/totp.setup';
import { SecretBox } from '../../factors';
import { totpCodeCheck } from '../../factors/totp/totp.code-check';
import { RateLimiter } from '../../infra/rate-limiter';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { VerifyMfaSetupCommand } from './verify-mfa-setup.command';

@CommandHandler(VerifyMfaSetupCommand)
export class VerifyMfaSetupHandler implements ICommandHandler<VerifyMfaSetupCommand, void> {
  constructor(
    private readonly users: UserMfaRepository,
    private readonly secrets: SecretBox,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: VerifyMfaSetupCommand): Promise<void> {
    const { userId } = command.subject;
    await this.limiter.consume('mfa-verify-setup', userId, this.config.rateLimits.verifySetup);
    if (command.mfaType !== 'GOOGLE_AUTH' || command.code === undefined) {
      throw new AppError('validation', 'VERIFICATION_FAILED', 'MFA setup verification failed');
    }
    const now = this.clock.now();
    const check = totpCodeCheck(this.secrets, userId, command.code, now);
    await this.users.execute(userId, (state) => decideVerifyTotpSetup(state, { ...command.subject, check }, now), command.meta, now);
  }
}
