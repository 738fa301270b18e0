import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';
import type { Subject } from '../../../user-mfa/domain/user-mfa';

export class GrantExemptionCommand extends Command<void> {
  constructor(
    readonly orgId: string,
    readonly userId: string,
    readonly reason: string,
    readonly expiresAt: Date | null,
    readonly meta: CommandMeta,
    /** The admin, for their own step-up (granting an exemption lowers security). */
    readonly actor: Subject,
  ) {
    super();
  }
}
