import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';
import type { Subject } from '../../domain/user-mfa';

/** Sends the caller a magic link: a setup link until MAGIC_LINK is enabled, a login link after. */
export class SendMagicLinkCommand extends Command<void> {
  constructor(
    readonly subject: Subject,
    /** The token's email claim (already validated), used when no address was stored by setup. */
    readonly tokenEmail: string | null,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}
