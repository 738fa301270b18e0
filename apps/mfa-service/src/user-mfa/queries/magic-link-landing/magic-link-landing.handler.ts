import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectConnection } from '@nestjs/mongoose';
import { CLOCK, Clock } from '@mfa/common';
import type { Connection } from 'mongoose';
import type { MagicLinkState } from '../../domain/user-mfa';
import { hashMagicLinkToken, isMagicLinkPurpose, MagicLinkPurpose } from '../../factors';
import { USER_MFA_COLLECTION } from '../../infra/user-mfa.document';
import { MagicLinkLandingQuery } from './magic-link-landing.query';

/** A read: the landing page (what a click or a mail scanner's prefetch fetches) never consumes the token. */
@QueryHandler(MagicLinkLandingQuery)
export class MagicLinkLandingHandler implements IQueryHandler<MagicLinkLandingQuery, MagicLinkPurpose | null> {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ token }: MagicLinkLandingQuery): Promise<MagicLinkPurpose | null> {
    const tokenHash = hashMagicLinkToken(token);
    if (!tokenHash) return null;
    const doc = await this.connection
      .collection<{ _id: string; magicLinks?: MagicLinkState[] }>(USER_MFA_COLLECTION)
      .findOne({ magicLinkHashes: tokenHash }, { projection: { magicLinks: 1 } });
    const link = doc?.magicLinks?.find((l) => l.tokenHash === tokenHash);
    if (!link || new Date(link.expiresAt).getTime() <= this.clock.now().getTime()) return null;
    return isMagicLinkPurpose(link.purpose) ? link.purpose : null;
  }
}
