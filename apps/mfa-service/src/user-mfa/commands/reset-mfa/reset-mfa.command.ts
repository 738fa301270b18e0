import { Command } from '@nestjs/cqrs';
import type { Principal } from '@mfa/auth';
import type { CommandMeta } from '@mfa/persistence';

export class ResetMfaCommand extends Command<void> {
  constructor(
    readonly caller: Principal,
    /** Whose MFA to reset; undefined (or the caller's own id) resets the caller. */
    readonly resetUserId: string | undefined,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}
