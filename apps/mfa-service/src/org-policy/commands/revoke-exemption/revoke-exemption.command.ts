import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';

export class RevokeExemptionCommand extends Command<void> {
  constructor(
    readonly orgId: string,
    readonly userId: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}
