import { randomUUID } from 'node:crypto';
import { Collection, MongoClient } from 'mongodb';
import type { Decision } from '@mfa/common/domain/decision';
import { AppError } from '@mfa/common/errors/app-error';
import { AggregateStore } from './aggregate-store';
import { CommandMeta, StoredEvent } from './stored-event';

interface Counter {
  count: number;
  by: string[];
}

const mapper = {
  fromDocument: (doc: Record<string, unknown>): Counter => ({ count: doc.count as number, by: doc.by as string[] }),
  toDocument: (state: Counter) => ({ count: state.count, by: state.by }),
};
const meta: CommandMeta = { correlationId: 'c', causationId: 'c', actorId: 'a', actorType: 'user' };

/** One command through a store (the one place that knows `execute`'s signature). */
const run = (store: AggregateStore<Counter>, id: string, decide: (state: Counter | null) => Decision<Counter>) => store.execute(id, decide, meta, new Date());

/** One increment by `who`, with one event (a real catalogue type, so it is stamped as in production). */
const increment =
  (who: string) =>
  (state: Counter | null): Decision<Counter> => ({
    state: { count: (state?.count ?? 0) + 1, by: [...(state?.by ?? []), who] },
    events: [{ type: 'MfaVerificationFailed', data: { userId: 'u', orgId: null, method: 'GOOGLE_AUTH', reason: who } }],
  });

/** The store's optimistic concurrency against the real database: a conflict is retried on fresh state, never lost. */
describe('aggregate store: conflict retry (real database)', () => {
  let client: MongoClient;
  let collection: Collection;
  const dbName = `mfa_store_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const url = process.env.MFA_TEST_MONGO_URL;
    if (!url) throw new Error('MFA_TEST_MONGO_URL missing: run through jest global setup');
    client = await MongoClient.connect(url);
    collection = client.db(dbName).collection('counters');
  });
  afterAll(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  const stored = (id: string) => collection.findOne({ _id: id as never });

  /** The real collection, except that `before` runs (really writing) right before each of the store's commits. */
  const interfered = (before: (write: number) => Promise<void>): Collection => {
    let writes = 0;
    return new Proxy(collection, {
      get(target, name, receiver) {
        if (name !== 'updateOne') return Reflect.get(target, name, receiver);
        return async (...args: Parameters<Collection['updateOne']>) => {
          await before(++writes);
          return target.updateOne(...args);
        };
      },
    });
  };

  it('another instance commits between load and write: the command decides again on the new state; both changes and all events kept', async () => {
    const id = randomUUID();
    const other = new AggregateStore<Counter>(collection, 'user', mapper);
    await run(other, id, increment('first'));
    const store = new AggregateStore<Counter>(
      interfered(async (write) => {
        if (write === 1) await run(other, id, increment('other'));
      }),
      'user',
      mapper,
    );
    const seen: number[] = [];
    const result = await run(store, id, (state) => (seen.push(state!.count), increment('mine')(state)));

    expect(seen).toEqual([1, 2]); // retried once, on the state that includes the other write
    expect(result.version).toBe(3);
    const doc = await stored(id);
    expect(doc).toMatchObject({ count: 3, version: 3, lastSequence: 3, by: ['first', 'other', 'mine'] });
    const outbox = doc!.outbox as StoredEvent[];
    expect(outbox.map((e) => [e.sequence, e.data.reason])).toEqual([
      [1, 'first'],
      [2, 'other'],
      [3, 'mine'],
    ]);
  });

  it('twenty concurrent commands from two instances: none lost, versions and sequences without gaps or repeats', async () => {
    const id = randomUUID();
    const a = new AggregateStore<Counter>(collection, 'user', mapper);
    const b = new AggregateStore<Counter>(collection, 'user', mapper); // its own per-id queue, as another process
    await Promise.all(Array.from({ length: 20 }, (_, i) => run(i % 2 ? a : b, id, increment(`c${i}`))));
    const doc = await stored(id);
    expect(doc).toMatchObject({ count: 20, version: 20, lastSequence: 20 });
    expect((doc!.by as string[]).slice().sort()).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`).sort());
    const outbox = doc!.outbox as StoredEvent[];
    expect(outbox.map((e) => e.sequence)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(outbox.map((e) => e.data.reason)).toEqual(doc!.by);
    expect(new Set(outbox.map((e) => e.id)).size).toBe(20);
  });

  it('two instances creating the same aggregate at once: one creates it, the other retries against it', async () => {
    const id = randomUUID();
    const a = new AggregateStore<Counter>(collection, 'user', mapper);
    const b = new AggregateStore<Counter>(collection, 'user', mapper);
    await Promise.all([run(a, id, increment('a')), run(b, id, increment('b'))]);
    const doc = await stored(id);
    expect(doc).toMatchObject({ count: 2, version: 2, lastSequence: 2 });
    expect((doc!.outbox as StoredEvent[]).map((e) => e.sequence)).toEqual([1, 2]);
  });

  it('another instance wins every attempt: 409 CONCURRENT_MODIFICATION after the tenth, and nothing of the command written', async () => {
    const id = randomUUID();
    const other = new AggregateStore<Counter>(collection, 'user', mapper);
    await run(other, id, increment('first'));
    const store = new AggregateStore<Counter>(
      interfered(async (write) => void (await run(other, id, increment(`other-${write}`)))),
      'user',
      mapper,
    );
    let tries = 0;
    const refused = await run(store, id, (state) => (tries++, increment('never')(state))).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ kind: 'conflict', code: 'CONCURRENT_MODIFICATION' });
    expect(tries).toBe(10);
    const doc = await stored(id);
    expect(doc).toMatchObject({ count: 11, version: 11, lastSequence: 11 });
    expect(doc!.by).not.toContain('never');
    expect((doc!.outbox as StoredEvent[]).map((e) => e.data.reason)).not.toContain('never');
  });
});
