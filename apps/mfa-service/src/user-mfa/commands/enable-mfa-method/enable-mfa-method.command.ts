import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';
import type { MfaMethod } from '../../domain/mfa-method';
import type { Subject } from '../../domain/user-mfa';

export class EnableMfaMethodCommand extends Command<void> {
  constructor(
    readonly subject: Subject,
    readonly method: MfaMethod,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}
