import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { decideEnable } from '../../domain/user-mfa';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { EnableMfaMethodCommand } from './enable-mfa-method.command';

@CommandHandler(EnableMfaMethodCommand)
export class EnableMfaMethodHandler implements ICommandHandler<EnableMfaMethodCommand, void> {
  constructor(
    private readonly users: UserMfaRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: EnableMfaMethodCommand): Promise<void> {
    const now = this.clock.now();
    await this.users.execute(
      command.subject.userId,
      (state) => decideEnable(state, { ...command.subject, method: command.method }, now),
      command.meta,
      () => now,
    );
  }
}
