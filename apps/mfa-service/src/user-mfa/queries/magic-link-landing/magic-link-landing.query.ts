import { Query } from '@nestjs/cqrs';
import type { MagicLinkPurpose } from '../../factors';

/** What a magic link is for, read without consuming it: null when unknown, used or expired. */
export class MagicLinkLandingQuery extends Query<MagicLinkPurpose | null> {
  constructor(readonly token: unknown) {
    super();
  }
}
