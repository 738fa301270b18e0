import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { PendingOutboxes, pendingKey } from './pending-outboxes';

/** The pending-outbox markers against the real database: the relay's view of what is waiting. */
describe('pending outbox markers (real database)', () => {
  let client: MongoClient;
  let pending: PendingOutboxes;
  const dbName = `mfa_pending_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const url = process.env.MFA_TEST_MONGO_URL;
    if (!url) throw new Error('MFA_TEST_MONGO_URL missing: run through jest global setup');
    client = await MongoClient.connect(url);
    pending = new PendingOutboxes(client.db(dbName));
    await pending.collection.createIndex({ since: 1 });
  });
  afterAll(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  it('marks accumulate events and keep the oldest time; the oldest come first; a leased one is skipped', async () => {
    const t1 = new Date('2026-01-01T00:00:01Z');
    const t2 = new Date('2026-01-01T00:00:02Z');
    await pending.mark('user_mfa', [{ id: 'u1', events: 2 }], t2);
    await pending.mark('user_mfa', [{ id: 'u1', events: 1 }], t1);
    await pending.mark(
      'org_policies',
      [
        { id: 'o1', events: 1 },
        { id: 'o2', events: 3 },
      ],
      t2,
    );
    expect(await pending.collection.findOne({ _id: pendingKey('user_mfa', 'u1') })).toEqual({
      _id: 'user_mfa:u1',
      collection: 'user_mfa',
      aggregateId: 'u1',
      since: t1,
      touch: 2,
      events: 3,
    });
    expect((await pending.oldest(10, [])).map((m) => m._id)).toEqual(['user_mfa:u1', 'org_policies:o1', 'org_policies:o2']);
    expect((await pending.oldest(10, ['user_mfa:u1'])).map((m) => m._id)).toEqual(['org_policies:o1', 'org_policies:o2']);
    expect(await pending.backlog(t2.getTime() + 9000)).toEqual({ events: 7, oldestAgeSeconds: 10 });
  });

  /** One marker's `touch` as the relay reads a batch's (absent: no marker). */
  const touchOf = async (key: string) => (await pending.touchesOf([key])).get(key);

  it('a marker touched since it was read survives the relay clearing it; an untouched one goes', async () => {
    const key = pendingKey('org_policies', 'o1');
    const read = (await touchOf(key))!;
    await pending.mark('org_policies', [{ id: 'o1', events: 0 }], new Date()); // the command's touch after its commit
    await pending.clear(key, read);
    expect(await touchOf(key)).toBe(read + 1);
    await pending.clear(key, read + 1);
    expect(await touchOf(key)).toBeUndefined();
  });

  it("a batch's markers are cleared together: each only if untouched since it was read", async () => {
    const at = new Date();
    await pending.mark(
      'user_mfa',
      ['b1', 'b2', 'b3'].map((id) => ({ id, events: 1 })),
      at,
    );
    const keys = ['b1', 'b2', 'b3'].map((id) => pendingKey('user_mfa', id));
    const read = await Promise.all(keys.map(async (key) => ({ key, touch: (await touchOf(key))! })));
    await pending.mark('user_mfa', [{ id: 'b2', events: 0 }], at); // b2's command touched it after the read
    await pending.clearAll(read);
    expect(await Promise.all(keys.map((key) => touchOf(key)))).toEqual([undefined, read[1].touch + 1, undefined]);
  });

  it('the sweep repairs a missing marker without lowering what commands counted', async () => {
    const since = new Date('2026-01-01T00:00:00Z');
    await pending.repair('org_policies', 'o2', 1, since);
    expect(await pending.collection.findOne({ _id: 'org_policies:o2' })).toMatchObject({ events: 3, since, touch: 2 });
    await pending.repair('org_policies', 'o9', 4, since);
    expect(await pending.collection.findOne({ _id: 'org_policies:o9' })).toMatchObject({
      collection: 'org_policies',
      aggregateId: 'o9',
      events: 4,
      since,
      touch: 1,
    });
  });
});
