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

type MembershipDoc = Pick<OrgMemberDocument, 'orgId' | 'role' | 'source' | 'managed' | 'lastSeenAt'>;

const PROJECTION = { orgId: 1, role: 1, source: 1, managed: 1, lastSeenAt: 1 } as const;
const MAX_CACHED_USERS = 50_000;

/**
 * Every organization a user actively belongs to: memberships confirmed by identity events (active
 * until an event ends them), memberships learned from tokens within MFA_TOKEN_MEMBERSHIP_TTL_DAYS
 * of the last token that showed them, and the current token's organization as one more.
 * One query on `org_members` by `userId` (indexed).
 *
 * `ofCached` serves the hot paths (status, methods, OrgAdminGuard) from a per-process cache of the
 * user's member documents: a membership event or token registration processed by this instance
 * invalidates the user at once; one processed by another instance is seen within
 * MEMBERSHIP_CACHE_TTL_MS (the staleness bound of a role downgrade or removal). Which memberships
 * are active is still judged per request (token TTL, the token's org). Commands use `of`.
 */
@Injectable()
export class ActiveMembershipsReader {
  private readonly cached = new Map<string, { docs: MembershipDoc[]; until: number }>();
  /** Bumped by every invalidation: a read that started before one must not fill the cache. */
  private generation = 0;
  private readonly reading = new Map<string, { read: Promise<MembershipDoc[]>; generation: number }>();

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async of(userId: string, token: TokenMembership | null, now: Date): Promise<ActiveMembership[]> {
    return activeMemberships(await this.read(userId), token, now, this.config.trust.tokenMembershipTtlMs);
  }

  async ofCached(userId: string, token: TokenMembership | null, now: Date): Promise<ActiveMembership[]> {
    const ttlMs = this.config.membershipCacheTtlMs;
    const at = Date.now();
    const entry = this.cached.get(userId);
    if (entry && entry.until > at) return activeMemberships(entry.docs, token, now, this.config.trust.tokenMembershipTtlMs);
    // Concurrent misses of one user share one read, unless an invalidation came after it started.
    const pending = ttlMs > 0 ? this.reading.get(userId) : undefined;
    const generation = this.generation;
    const read = pending && pending.generation === generation ? pending.read : this.read(userId);
    if (ttlMs > 0 && read !== pending?.read) this.reading.set(userId, { read, generation });
    let docs: MembershipDoc[];
    try {
      docs = await read;
    } finally {
      if (this.reading.get(userId)?.read === read) this.reading.delete(userId);
    }
    if (ttlMs > 0 && generation === this.generation && read !== pending?.read) {
      this.cached.delete(userId); // re-inserted last: the Map's order is the eviction order
      if (this.cached.size >= MAX_CACHED_USERS) this.cached.delete(this.cached.keys().next().value as string);
      this.cached.set(userId, { docs, until: at + ttlMs });
    }
    return activeMemberships(docs, token, now, this.config.trust.tokenMembershipTtlMs);
  }

  /** After this process changed the user's memberships (identity event, token registration). */
  invalidate(userId: string): void {
    this.generation += 1;
    this.cached.delete(userId);
    this.reading.delete(userId);
  }

  private read(userId: string): Promise<MembershipDoc[]> {
    return this.connection.collection<OrgMemberDocument>(ORG_MEMBERS_COLLECTION).find({ userId }, { projection: PROJECTION }).limit(1_000).toArray();
  }
}

/** The pure rule behind ActiveMembershipsReader (sorted by orgId, each organization once). */
export function activeMemberships(docs: MembershipDoc[], token: TokenMembership | null, now: Date, tokenTtlMs: number): ActiveMembership[] {
  const byOrg = new Map<string, ActiveMembership>();
  for (const doc of docs) {
    const active = doc.source === 'event' || (doc.lastSeenAt instanceof Date && now.getTime() - doc.lastSeenAt.getTime() <= tokenTtlMs);
    if (active) byOrg.set(doc.orgId, { orgId: doc.orgId, role: doc.role ?? null, managed: doc.managed === true, source: doc.source });
  }
  if (token?.orgId && !byOrg.has(token.orgId)) byOrg.set(token.orgId, { orgId: token.orgId, role: token.role, managed: false, source: 'request' });
  return [...byOrg.values()].sort((a, b) => (a.orgId < b.orgId ? -1 : a.orgId > b.orgId ? 1 : 0));
}
