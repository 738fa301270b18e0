import { randomUUID } from 'node:crypto';
import { Collection, MongoClient } from 'mongodb';
import { idempotent, InboxRecord } from './idempotent-consumer';

/** The consumer inbox against the real database (MongoDB protocol): each event id is handled once. */
describe('idempotent consumer helper (real database)', () => {
  let client: MongoClient;
  let inbox: Collection<InboxRecord>;
  const dbName = `mfa_inbox_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const url = process.env.MFA_TEST_MONGO_URL;
    if (!url) throw new Error('MFA_TEST_MONGO_URL missing: run through jest global setup');
    client = await MongoClient.connect(url);
    inbox = client.db(dbName).collection<InboxRecord>('processed_events');
  });
  afterAll(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  it('handles a redelivered event once and records it as done', async () => {
    const seen: string[] = [];
    const handle = idempotent(async (event: { id: string }) => void seen.push(event.id), { inbox });
    const id = randomUUID();
    expect(await handle({ id })).toBe('handled');
    expect(await handle({ id })).toBe('duplicate');
    expect(await handle({ id })).toBe('duplicate');
    expect(seen).toEqual([id]);
    expect(await inbox.findOne({ _id: id })).toMatchObject({ status: 'done', processedAt: expect.any(Date) });
  });

  it('concurrent deliveries of one event run the handler once', async () => {
    let calls = 0;
    const handle = idempotent(
      async () => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      },
      { inbox },
    );
    const id = randomUUID();
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => handle({ id })));
    expect(calls).toBe(1);
    expect(outcomes.filter((o) => o === 'handled')).toHaveLength(1);
  });

  it('a handler that throws releases the claim so the redelivery is handled', async () => {
    let attempts = 0;
    const handle = idempotent(
      async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('downstream unavailable');
      },
      { inbox },
    );
    const id = randomUUID();
    await expect(handle({ id })).rejects.toThrow('downstream unavailable');
    expect(await handle({ id })).toBe('handled');
    expect(attempts).toBe(2);
  });

  it('a claim left by a crashed consumer is taken over once its lease expires', async () => {
    const id = randomUUID();
    const crashedAt = new Date('2026-01-01T00:00:00Z');
    await inbox.insertOne({ _id: id, status: 'processing', leaseUntil: new Date(crashedAt.getTime() + 1000) });
    let calls = 0;
    const stillLeased = idempotent(async () => void (calls += 1), { inbox, now: () => crashedAt });
    expect(await stillLeased({ id })).toBe('duplicate');
    const afterExpiry = idempotent(async () => void (calls += 1), { inbox, now: () => new Date(crashedAt.getTime() + 5000) });
    expect(await afterExpiry({ id })).toBe('handled');
    expect(calls).toBe(1);
  });
});
