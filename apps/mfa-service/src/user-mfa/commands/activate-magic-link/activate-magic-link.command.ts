import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';

/** Where the request came from; the actor is the user the link belongs to (no bearer token). */
export type RequestMeta = Omit<CommandMeta, 'actorId' | 'actorType'>;

/** Completes MAGIC_LINK setup with the token from a setup link. */
export class ActivateMagicLinkCommand extends Command<void> {
  constructor(
    /** As submitted: validated and hashed by the handler, never logged or stored. */
    readonly token: string,
    readonly meta: RequestMeta,
  ) {
    super();
  }
}
