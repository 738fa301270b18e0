import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';
import type { MfaMethod } from '../../domain/mfa-method';
import type { Subject } from '../../domain/user-mfa';

export class VerifyMfaSetupCommand extends Command<void> {
  constructor(
    readonly subject: Subject,
    readonly mfaType: MfaMethod,
    readonly code: string | undefined,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}
