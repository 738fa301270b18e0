import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { decideActivateMagicLink, invalidMagicLinkToken } from '../../factors/magic-link/domain/magic-link.setup';
import { hashMagicLinkToken } from '../../factors';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { ActivateMagicLinkCommand } from './activate-magic-link.command';

@CommandHandler(ActivateMagicLinkCommand)
export class ActivateMagicLinkHandler implements ICommandHandler<ActivateMagicLinkCommand, void> {
  constructor(
    private readonly users: UserMfaRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: ActivateMagicLinkCommand): Promise<void> {
    const tokenHash = hashMagicLinkToken(command.token);
    if (!tokenHash) throw invalidMagicLinkToken();
    const userId = await this.users.userIdByMagicLinkHash(tokenHash);
    if (!userId) throw invalidMagicLinkToken();
    const now = this.clock.now();
    // Decided against the state it commits on (version-guarded): a token is consumed once,
    // a concurrent second activation re-decides on the consumed state and fails.
    await this.users.execute(
      userId,
      (state) => decideActivateMagicLink(state, { userId, orgId: null, tokenHash }, now),
      { ...command.meta, actorId: userId, actorType: 'user' },
      now,
    );
  }
}
