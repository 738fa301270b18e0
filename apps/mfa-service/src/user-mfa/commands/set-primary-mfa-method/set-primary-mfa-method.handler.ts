import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { decideSetPrimary } from '../../domain/user-mfa';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { SetPrimaryMfaMethodCommand } from './set-primary-mfa-method.command';

@CommandHandler(SetPrimaryMfaMethodCommand)
export class SetPrimaryMfaMethodHandler implements ICommandHandler<SetPrimaryMfaMethodCommand, void> {
  constructor(
    private readonly users: UserMfaRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: SetPrimaryMfaMethodCommand): Promise<void> {
    const now = this.clock.now();
    await this.users.execute(
      command.subject.userId,
      (state) => decideSetPrimary(state, { ...command.subject, method: command.method }, now),
      command.meta,
      now,
    );
  }
}
