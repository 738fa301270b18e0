import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';
import type { MfaMethod } from '../../domain/mfa-method';
import type { PublicKeyCredentialCreationOptionsJSON } from '../../factors';
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

/** What PASSKEY setup returns: WebAuthn creation options for navigator.credentials.create(). */
export type PasskeySetupResult = PublicKeyCredentialCreationOptionsJSON;

export type SetupResult = TotpSetupResult | MagicLinkSetupResult | PasskeySetupResult;

export class SetupMfaCommand extends Command<SetupResult> {
  constructor(
    readonly subject: Subject,
    readonly mfaType: MfaMethod,
    /** Label for the authenticator app entry (the account's email, else the user id). */
    readonly accountName: string,
    readonly meta: CommandMeta,
    /** MAGIC_LINK: the address to send the link to (already validated). */
    readonly email: string | null = null,
    /** PASSKEY: the device name for the passkey this setup creates. */
    readonly deviceName: string | null = null,
    /** MAGIC_LINK: the address the identity service vouches for (the token's `email` claim). */
    readonly tokenEmail: string | null = null,
  ) {
    super();
  }
}
