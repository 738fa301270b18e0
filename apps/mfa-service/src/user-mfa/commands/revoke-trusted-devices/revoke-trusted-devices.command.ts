import { Command } from '@nestjs/cqrs';
import type { Principal } from '@mfa/auth';
import type { CommandMeta } from '@mfa/persistence';

/** The caller revokes one of their devices (`deviceId`), or an admin revokes every device of `memberId`. */
export class RevokeTrustedDevicesCommand extends Command<void> {
  constructor(
    readonly caller: Principal,
    readonly target: { deviceId: string } | { memberId: string },
    readonly meta: CommandMeta,
  ) {
    super();
  }
}
