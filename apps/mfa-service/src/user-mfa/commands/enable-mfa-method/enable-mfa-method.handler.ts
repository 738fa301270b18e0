import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { decideEnable } from '../../domain/user-mfa';
import { StepUpPolicy } from '../../infra/step-up.policy';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { EnableMfaMethodCommand } from './enable-mfa-method.command';

@CommandHandler(EnableMfaMethodCommand)
export class EnableMfaMethodHandler implements ICommandHandler<EnableMfaMethodCommand, void> {
  constructor(
    private readonly users: UserMfaRepository,
    private readonly stepUp: StepUpPolicy,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: EnableMfaMethodCommand): Promise<void> {
    const now = this.clock.now();
    await this.users.execute(
      command.subject.userId,
      this.stepUp.guard(command.subject, (state) => decideEnable(state, { ...command.subject, method: command.method }, now), now),
      command.meta,
      now,
    );
  }
}
