import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { authenticatorName, decideRenameAuthenticator } from '../../domain/authenticators';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { RenameAuthenticatorCommand } from './rename-authenticator.command';

/** A label only: no step-up (the contract answers 400/401/404 here, never 403). */
@CommandHandler(RenameAuthenticatorCommand)
export class RenameAuthenticatorHandler implements ICommandHandler<RenameAuthenticatorCommand, void> {
  constructor(
    private readonly users: UserMfaRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: RenameAuthenticatorCommand): Promise<void> {
    const name = authenticatorName(command.name);
    const now = this.clock.now();
    await this.users.execute(
      command.subject.userId,
      (state) => decideRenameAuthenticator(state, { ...command.subject, authenticatorId: command.authenticatorId, name }, now),
      command.meta,
      now,
    );
  }
}
