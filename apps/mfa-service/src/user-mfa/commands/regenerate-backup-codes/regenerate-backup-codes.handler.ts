import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { decideRegenerateBackupCodes } from '../../factors/backup-codes/domain/backup-codes.setup';
import { BackupCodes } from '../../factors';
import { StepUpPolicy } from '../../infra/step-up.policy';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { RegenerateBackupCodesCommand, RegeneratedBackupCodes } from './regenerate-backup-codes.command';

@CommandHandler(RegenerateBackupCodesCommand)
export class RegenerateBackupCodesHandler implements ICommandHandler<RegenerateBackupCodesCommand, RegeneratedBackupCodes> {
  constructor(
    private readonly users: UserMfaRepository,
    private readonly backupCodes: BackupCodes,
    private readonly stepUp: StepUpPolicy,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: RegenerateBackupCodesCommand): Promise<RegeneratedBackupCodes> {
    const now = this.clock.now();
    const codes = this.backupCodes.generate();
    await this.users.execute(
      command.subject.userId,
      this.stepUp.guard(command.subject, (state) => decideRegenerateBackupCodes(state, { ...command.subject, backupCodeHashes: codes.hashes }, now), now),
      command.meta,
      now,
    );
    return { backupCodes: codes.codes };
  }
}
