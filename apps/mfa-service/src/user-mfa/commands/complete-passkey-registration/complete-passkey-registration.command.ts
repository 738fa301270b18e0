import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';
import type { Subject } from '../../domain/user-mfa';

/** Completes a passkey registration with the authenticator's attestation. */
export class CompletePasskeyRegistrationCommand extends Command<void> {
  constructor(
    readonly subject: Subject,
    /** As submitted (RegistrationResponseJSON): shape-checked and verified by the handler, never logged. */
    readonly credential: unknown,
    /** The challenge the client answered; never logged. */
    readonly challenge: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}
