import { Inject, Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import type { Connection } from 'mongoose';
import { ORG_MEMBERS_COLLECTION, OrgMemberDocument } from './org-member.document';

/** One organization a user actively belongs to (docs/trust-model.md "Active membership"). */
export interface ActiveMembership {
  orgId: string;
  /** The user's role there (null: unknown, treated as USER). */
  role: number | null;
  /** This organization manages the user's account (identity event flag). */
  managed: boolean;
  source: 'token' | 'event' | 'request';
}

/** The organization and role the current request's token shows, if any. */
export interface TokenMembership {
  orgId: string | null;
  role: number | null;
}

/**
 * Every organization a user actively belongs to: memberships confirmed by identity events (active
 * until an event ends them), memberships learned from tokens within MFA_TOKEN_MEMBERSHIP_TTL_DAYS
 * of the last token that showed them, and the current token's organization as one more.
 * One query on `org_members` by `userId` (indexed).
 */
@Injectable()
export class ActiveMembershipsReader {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async of(userId: string, token: TokenMembership | null, now: Date): Promise<ActiveMembership[]> {
    const docs = await this.connection
      .collection<OrgMemberDocument>(ORG_MEMBERS_COLLECTION)
      .find({ userId }, { projection: { orgId: 1, role: 1, source: 1, managed: 1, lastSeenAt: 1 } })
      .limit(1_000)
      .toArray();
    return activeMemberships(docs, token, now, this.config.trust.tokenMembershipTtlMs);
  }
}

/** The pure rule behind ActiveMembershipsReader (sorted by orgId, each organization once). */
export function activeMemberships(
  docs: Array<Pick<OrgMemberDocument, 'orgId' | 'role' | 'source' | 'managed' | 'lastSeenAt'>>,
  token: TokenMembership | null,
  now: Date,
  tokenTtlMs: number,
): ActiveMembership[] {
  const byOrg = new Map<string, ActiveMembership>();
  for (const doc of docs) {
    const active = doc.source === 'event' || (doc.lastSeenAt instanceof Date && now.getTime() - doc.lastSeenAt.getTime() <= tokenTtlMs);
    if (active) byOrg.set(doc.orgId, { orgId: doc.orgId, role: doc.role ?? null, managed: doc.managed === true, source: doc.source });
  }
  if (token?.orgId && !byOrg.has(token.orgId)) byOrg.set(token.orgId, { orgId: token.orgId, role: token.role, managed: false, source: 'request' });
  return [...byOrg.values()].sort((a, b) => (a.orgId < b.orgId ? -1 : a.orgId > b.orgId ? 1 : 0));
}
