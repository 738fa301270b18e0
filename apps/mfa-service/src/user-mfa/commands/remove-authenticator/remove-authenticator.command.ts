import { Command } from '@nestjs/cqrs';
import type { Principal } from '@mfa/auth';
import type { CommandMeta } from '@mfa/persistence';

export class RemoveAuthenticatorCommand extends Command<void> {
  constructor(
    readonly caller: Principal,
    readonly authenticatorId: string,
    /** A member's authenticator (admin authority rules); undefined: the caller's own. */
    readonly memberId: string | undefined,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}
