import type { AppConfig } from '@mfa/common';
import type { Connection } from 'mongoose';
import { OrgPolicyReadCache, OrgPolicyView } from './org-policy.read-cache';

/** A collection whose reads the test answers by hand, counting them. */
function fakeConnection() {
  const pending: Array<(view: OrgPolicyView | null) => void> = [];
  const connection = { collection: () => ({ findOne: () => new Promise((resolve) => pending.push(resolve)) }) } as unknown as Connection;
  return { connection, pending };
}

const policy = (enforced: boolean): OrgPolicyView => ({ enforced, enforcementDeadline: null, allowedMethods: [], exemptionChanges: {} });
const cacheWith = (ttlMs: number) => {
  const fake = fakeConnection();
  return { ...fake, cache: new OrgPolicyReadCache(fake.connection, { orgPolicyCacheTtlMs: ttlMs } as AppConfig) };
};

describe('OrgPolicyReadCache', () => {
  it('answers repeated reads from memory within the TTL, and reads again after an invalidation', async () => {
    const { cache, pending } = cacheWith(60_000);
    const first = cache.get('org-1');
    pending.shift()!(policy(false));
    expect(await first).toEqual(policy(false));
    expect(await cache.get('org-1')).toEqual(policy(false));
    expect(pending).toHaveLength(0);

    cache.invalidate('org-1');
    const after = cache.get('org-1');
    expect(pending).toHaveLength(1);
    pending.shift()!(policy(true));
    expect(await after).toEqual(policy(true));
  });

  it('a read that started before an invalidation does not fill the cache with what it read', async () => {
    const { cache, pending } = cacheWith(60_000);
    const stale = cache.get('org-1');
    cache.invalidate('org-1'); // a commit lands while the read is in flight
    pending.shift()!(policy(false));
    expect(await stale).toEqual(policy(false));
    const next = cache.get('org-1');
    expect(pending).toHaveLength(1); // not served from the cache
    pending.shift()!(policy(true));
    expect(await next).toEqual(policy(true));
  });

  it('with TTL 0 every read goes to the database', async () => {
    const { cache, pending } = cacheWith(0);
    for (let i = 0; i < 2; i++) {
      const read = cache.get('org-1');
      pending.shift()!(null);
      expect(await read).toBeNull();
    }
    void cache.get('org-1');
    expect(pending).toHaveLength(1);
  });

  it('concurrent misses share one read; a miss after an invalidation does not join the read in flight', async () => {
    const { cache, pending } = cacheWith(60_000);
    const reads = [cache.get('org-1'), cache.get('org-1'), cache.get('org-1')];
    expect(pending).toHaveLength(1);
    cache.invalidate('org-1');
    const fresh = cache.get('org-1');
    expect(pending).toHaveLength(2);
    pending.shift()!(policy(false));
    pending.shift()!(policy(true));
    expect(await Promise.all(reads)).toEqual([policy(false), policy(false), policy(false)]);
    expect(await fresh).toEqual(policy(true));
  });

  it("members' stored exemptions are cached per org and member, and dropped with their org's invalidation", async () => {
    const { cache, pending } = cacheWith(60_000);
    const granted = { userId: 'u1', reason: 'r', expiresAt: null, grantedBy: 'admin', grantedAt: new Date(0), activeUntil: new Date(0) };
    const first = cache.exemption('org-1', 'u1');
    (pending.shift() as unknown as (doc: unknown) => void)(granted);
    expect(await first).toMatchObject({ userId: 'u1' });
    expect(await cache.exemption('org-1', 'u1')).toMatchObject({ userId: 'u1' });
    expect(pending).toHaveLength(0);

    void cache.exemption('org-1', 'u2'); // another member: its own read
    expect(pending).toHaveLength(1);
    (pending.shift() as unknown as (doc: unknown) => void)(null);

    cache.invalidate('org-2'); // another org's commit keeps this org's entries
    expect(await cache.exemption('org-1', 'u1')).toMatchObject({ userId: 'u1' });
    expect(pending).toHaveLength(0);

    cache.invalidate('org-1'); // e.g. the exemption was revoked through this instance
    const after = cache.exemption('org-1', 'u1');
    expect(pending).toHaveLength(1);
    (pending.shift() as unknown as (doc: unknown) => void)({ ...granted, revokedAt: new Date(1) });
    expect(await after).toBeNull();
  });
});
