import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';

export class GrantExemptionCommand extends Command<void> {
  constructor(
    readonly orgId: string,
    readonly userId: string,
    readonly reason: string,
    readonly expiresAt: Date | null,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}
