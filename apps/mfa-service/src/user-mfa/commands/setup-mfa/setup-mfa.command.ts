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

/** What MAGIC_LINK setup returns: where the link went; activating it completes setup. */
export interface MagicLinkSetupResult {
  email: string;
  verificationRequired: true;
}

export type SetupResult = TotpSetupResult | MagicLinkSetupResult;

export class SetupMfaCommand extends Command<SetupResult> {
  constructor(
    readonly subject: Subject,
    readonly mfaType: MfaMethod,
    /** Label for the authenticator app entry (the account's email, else the user id). */
    readonly accountName: string,
    readonly meta: CommandMeta,
    /** MAGIC_LINK: the address to send the link to (already validated). */
    readonly email: string | null = null,
  ) {
    super();
  }
}
