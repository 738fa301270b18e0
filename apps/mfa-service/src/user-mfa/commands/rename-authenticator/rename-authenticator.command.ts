import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';
import type { Subject } from '../../domain/user-mfa';

export class RenameAuthenticatorCommand extends Command<void> {
  constructor(
    readonly subject: Subject,
    readonly authenticatorId: string,
    readonly name: unknown,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}
