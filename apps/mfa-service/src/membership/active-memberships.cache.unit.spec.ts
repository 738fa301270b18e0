import type { AppConfig } from '@mfa/common';
import type { Connection } from 'mongoose';
import { ActiveMembershipsReader } from './active-memberships.reader';

type Doc = { orgId: string; role: number; source: 'token' | 'event'; lastSeenAt: Date };
const DAY = 24 * 3600_000;

/** `org_members` reads the test answers by hand, counting them. */
function readerWith(ttlMs: number) {
  const pending: Array<(docs: Doc[]) => void> = [];
  const connection = {
    collection: () => ({ find: () => ({ limit: () => ({ toArray: () => new Promise<Doc[]>((resolve) => pending.push(resolve)) }) }) }),
  } as unknown as Connection;
  const config = { membershipCacheTtlMs: ttlMs, trust: { tokenMembershipTtlMs: 30 * DAY } } as AppConfig;
  return { reader: new ActiveMembershipsReader(connection, config), pending };
}

const now = new Date();
const admin: Doc = { orgId: 'org-1', role: 254, source: 'event', lastSeenAt: now };
const demoted: Doc = { ...admin, role: 0 };

describe('ActiveMembershipsReader cache (status, methods, OrgAdminGuard)', () => {
  it('answers repeated reads of a user from memory within the TTL, and reads again after an invalidation', async () => {
    const { reader, pending } = readerWith(60_000);
    const first = reader.ofCached('u-1', null, now);
    pending.shift()!([admin]);
    expect((await first)[0].role).toBe(254);
    expect((await reader.ofCached('u-1', null, now))[0].role).toBe(254);
    expect(pending).toHaveLength(0);

    reader.invalidate('u-1'); // this instance processed the user's role change
    const after = reader.ofCached('u-1', null, now);
    expect(pending).toHaveLength(1);
    pending.shift()!([demoted]);
    expect((await after)[0].role).toBe(0);
  });

  it('a read that started before an invalidation does not fill the cache with what it read', async () => {
    const { reader, pending } = readerWith(60_000);
    const stale = reader.ofCached('u-1', null, now);
    reader.invalidate('u-1');
    pending.shift()!([admin]);
    expect((await stale)[0].role).toBe(254);
    const next = reader.ofCached('u-1', null, now);
    expect(pending).toHaveLength(1);
    pending.shift()!([demoted]);
    expect((await next)[0].role).toBe(0);
  });

  it('expires after the TTL; with 0 every call reads; `of` (commands) never uses the cache', async () => {
    const { reader, pending } = readerWith(0);
    const a = reader.ofCached('u-1', null, now);
    pending.shift()!([admin]);
    await a;
    const b = reader.ofCached('u-1', null, now);
    expect(pending).toHaveLength(1);
    pending.shift()!([demoted]);
    expect((await b)[0].role).toBe(0);

    const cached = readerWith(60_000);
    const warm = cached.reader.ofCached('u-1', null, now);
    cached.pending.shift()!([admin]);
    await warm;
    const command = cached.reader.of('u-1', null, now);
    expect(cached.pending).toHaveLength(1);
    cached.pending.shift()!([demoted]);
    expect((await command)[0].role).toBe(0);
  });

  it('expires entries by wall time', async () => {
    jest.useFakeTimers({ now: now.getTime() });
    try {
      const { reader, pending } = readerWith(1_000);
      const a = reader.ofCached('u-1', null, now);
      pending.shift()!([admin]);
      await a;
      jest.setSystemTime(now.getTime() + 999);
      await reader.ofCached('u-1', null, now);
      expect(pending).toHaveLength(0);
      jest.setSystemTime(now.getTime() + 1_000);
      const b = reader.ofCached('u-1', null, now);
      expect(pending).toHaveLength(1);
      pending.shift()!([demoted]);
      expect((await b)[0].role).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('judges activity per request from the cached documents: a token-learned membership past its TTL is not active, the token org is added', async () => {
    const { reader, pending } = readerWith(60_000);
    const old: Doc = { orgId: 'org-old', role: 0, source: 'token', lastSeenAt: new Date(now.getTime() - 31 * DAY) };
    const a = reader.ofCached('u-1', { orgId: 'org-now', role: 0 }, now);
    pending.shift()!([old]);
    expect((await a).map((m) => m.orgId)).toEqual(['org-now']);
    const earlier = new Date(now.getTime() - 2 * DAY);
    expect((await reader.ofCached('u-1', null, earlier)).map((m) => m.orgId)).toEqual(['org-old']);
  });

  it('concurrent misses share one read; a miss after an invalidation does not join the read in flight; with TTL 0 nothing is shared', async () => {
    const { reader, pending } = readerWith(60_000);
    const reads = [reader.ofCached('u-1', null, now), reader.ofCached('u-1', null, now), reader.ofCached('u-1', null, now)];
    expect(pending).toHaveLength(1);
    reader.invalidate('u-1');
    const fresh = reader.ofCached('u-1', null, now);
    expect(pending).toHaveLength(2);
    pending.shift()!([admin]);
    pending.shift()!([demoted]);
    expect((await Promise.all(reads)).map((m) => m[0].role)).toEqual([254, 254, 254]);
    expect((await fresh)[0].role).toBe(0);
    expect((await reader.ofCached('u-1', null, now))[0].role).toBe(0); // the fresh read filled the cache
    expect(pending).toHaveLength(0);

    const uncached = readerWith(0);
    void uncached.reader.ofCached('u-1', null, now);
    void uncached.reader.ofCached('u-1', null, now);
    expect(uncached.pending).toHaveLength(2);
  });
});
