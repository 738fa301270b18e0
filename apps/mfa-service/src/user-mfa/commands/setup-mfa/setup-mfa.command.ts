import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';
import type { MfaMethod } from '../../domain/mfa-method';
import type { Subject } from '../../domain/user-mfa';

/** What GOOGLE_AUTH setup returns: shown once, never stored in plaintext. */
export interface TotpSetupResult {
  secret: string;
  otpauthUrl: string;
  qrCode: string;
  backupCodes: string[];
}

export class SetupMfaCommand extends Command<TotpSetupResult> {
  constructor(
    readonly subject: Subject,
    readonly mfaType: MfaMethod,
    /** Label for the authenticator app entry (the account's email, else the user id). */
    readonly accountName: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}
