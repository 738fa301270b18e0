import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';
import type { Subject } from '../../domain/user-mfa';

export interface RegeneratedBackupCodes {
  /** Shown once; only their peppered hashes are stored. */
  backupCodes: string[];
}

export class RegenerateBackupCodesCommand extends Command<RegeneratedBackupCodes> {
  constructor(
    readonly subject: Subject,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}
