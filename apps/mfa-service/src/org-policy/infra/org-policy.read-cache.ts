import { Inject, Injectable, Module } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import type { Connection } from 'mongoose';
import type { Exemption } from '../domain/org-policy';
import { ORG_EXEMPTIONS_COLLECTION, OrgExemptionDocument, storedExemption } from './org-exemption.document';
import { ORG_POLICY_COLLECTION, OrgPolicyDocument } from './org-policy.document';

/** What the read side needs of a policy: whether, until when, which methods, and exemption changes still pending. */
export type OrgPolicyView = Pick<OrgPolicyDocument, 'enforced' | 'enforcementDeadline' | 'allowedMethods' | 'exemptionChanges' | 'rememberDeviceDays'>;

// Exemptions are not here (their own collection, read per user); only changes not yet applied there.
const PROJECTION = { enforced: 1, enforcementDeadline: 1, allowedMethods: 1, exemptionChanges: 1, rememberDeviceDays: 1 } as const;
const MAX_ENTRIES = 10_000;

/**
 * Org policies for the hot read paths (`GET /mfa/status`, `/mfa/methods`, verify-login): every member of an
 * org asks about the same, rarely changing document. Commits through this instance invalidate
 * their org at once (read-your-writes); commits through another instance are seen within
 * ORG_POLICY_CACHE_TTL_MS. Time-dependent answers (deadlines, exemption expiry) are computed at
 * request time from the cached view, never cached themselves. Commands that change state never read through here.
 * A member's stored exemption (org_exemptions) is cached the same way, per org and member: every
 * exemption change commits to the policy document first, so the same invalidation covers it.
 */
@Injectable()
export class OrgPolicyReadCache {
  private readonly entries = new Map<string, { view: OrgPolicyView | null; until: number }>();
  /** Bumped by every invalidation: a read that started before one must not fill the cache. */
  private generation = 0;
  private readonly reading = new Map<string, { read: Promise<OrgPolicyView | null>; generation: number }>();
  /** Stored exemptions by org, then member. */
  private readonly exemptions = new Map<string, Map<string, { exemption: Exemption | null; until: number }>>();
  private exemptionEntries = 0;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async get(orgId: string): Promise<OrgPolicyView | null> {
    const ttlMs = this.config.orgPolicyCacheTtlMs;
    const now = Date.now();
    const cached = this.entries.get(orgId);
    if (cached && cached.until > now) return cached.view;
    // Concurrent misses of one org share one read (an expiry under load is one query, not one per request).
    const pending = this.reading.get(orgId);
    if (ttlMs > 0 && pending && pending.generation === this.generation) return pending.read;
    const generation = this.generation;
    const read = this.connection.collection<OrgPolicyDocument>(ORG_POLICY_COLLECTION).findOne({ _id: orgId }, { projection: PROJECTION });
    if (ttlMs > 0) this.reading.set(orgId, { read, generation });
    let view: OrgPolicyView | null;
    try {
      view = await read;
    } finally {
      if (this.reading.get(orgId)?.read === read) this.reading.delete(orgId);
    }
    if (ttlMs > 0 && generation === this.generation) {
      this.entries.delete(orgId); // re-inserted last: the Map's order is the eviction order
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(orgId, { view, until: now + ttlMs });
    }
    return view;
  }

  /** A member's stored exemption in an org (one `_id` read on a miss). */
  async exemption(orgId: string, userId: string): Promise<Exemption | null> {
    const ttlMs = this.config.orgPolicyCacheTtlMs;
    const now = Date.now();
    const cached = this.exemptions.get(orgId)?.get(userId);
    if (cached && cached.until > now) return cached.exemption;
    const generation = this.generation;
    const exemption = await storedExemption(this.connection.collection<OrgExemptionDocument>(ORG_EXEMPTIONS_COLLECTION), orgId, userId);
    if (ttlMs > 0 && generation === this.generation) {
      // Bounded like the policies: past the limit, start over (entries are cheap to read again).
      if (this.exemptionEntries >= MAX_ENTRIES) this.dropExemptions();
      let members = this.exemptions.get(orgId);
      if (!members) this.exemptions.set(orgId, (members = new Map()));
      if (!members.has(userId)) this.exemptionEntries += 1;
      members.set(userId, { exemption, until: now + ttlMs });
    }
    return exemption;
  }

  /** After a commit to the org's policy (exemption changes included) through this process. */
  invalidate(orgId: string): void {
    this.generation += 1;
    this.entries.delete(orgId);
    this.reading.delete(orgId);
    this.exemptionEntries -= this.exemptions.get(orgId)?.size ?? 0;
    this.exemptions.delete(orgId);
  }

  private dropExemptions(): void {
    this.exemptions.clear();
    this.exemptionEntries = 0;
  }
}

/** One cache per process, shared by the org-policy writers and the user-mfa readers. */
@Module({ providers: [OrgPolicyReadCache], exports: [OrgPolicyReadCache] })
export class OrgPolicyReadCacheModule {}
