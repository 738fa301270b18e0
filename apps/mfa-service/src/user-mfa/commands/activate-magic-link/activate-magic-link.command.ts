import { Command } from '@nestjs/cqrs';
import type { RequestMeta } from '@mfa/persistence';

/** Completes MAGIC_LINK setup with the token from a setup link. */
export class ActivateMagicLinkCommand extends Command<void> {
  constructor(
    /** As submitted: validated and hashed by the handler, never logged or stored. */
    readonly token: string,
    /** The actor is the user the link belongs to (no bearer token), known once the token is looked up. */
    readonly meta: RequestMeta,
  ) {
    super();
  }
}
