import { randomUUID } from 'node:crypto';
import { Collection, CommandStartedEvent, Db, MongoClient } from 'mongodb';
import type { StoredEvent } from '@mfa/persistence';
import { OutboxAcknowledger } from './outbox-acknowledger';
import { ClaimedOutbox, OutboxEvent } from './outbox-event';
import { OUTBOX_LEASES_COLLECTION, OutboxLeases, leaseKey } from './outbox-leases';

const event = (key: string, sequence: number): StoredEvent => ({
  id: randomUUID(),
  type: 'MfaVerificationFailed',
  topic: 'mfa.user-mfa.v1',
  key,
  aggregate: 'user',
  sequence,
  topicSequence: sequence,
  time: new Date('2026-01-01T00:00:00Z'),
  schemaVersion: 1,
  orgId: null,
  userId: key,
  correlationId: 'c',
  causationId: 'c',
  actorId: key,
  actorType: 'user',
  data: { userId: key, orgId: null, method: 'GOOGLE_AUTH', reason: 'INVALID_CODE' },
  replayable: true,
});

/**
 * The relay's acknowledgement against the real database: what was published leaves the outbox
 * with a compare-and-set on `lastSequence`, and a command committing meanwhile loses nothing.
 */
describe('outbox acknowledgement (real database)', () => {
  let client: MongoClient;
  let db: Db;
  let users: Collection;
  let leases: OutboxLeases;
  let woken: string[];
  let acknowledger: OutboxAcknowledger;
  const dbName = `mfa_ack_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const url = process.env.MFA_TEST_MONGO_URL;
    if (!url) throw new Error('MFA_TEST_MONGO_URL missing: run through jest global setup');
    client = await MongoClient.connect(url, { monitorCommands: true });
    db = client.db(dbName);
    users = db.collection('user_mfa');
  });
  beforeEach(() => {
    woken = [];
    leases = new OutboxLeases(db, `relay-${randomUUID().slice(0, 8)}`);
    acknowledger = new OutboxAcknowledger(leases, (collection, id) => woken.push(`${collection}:${id}`));
  });
  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  /** An aggregate with these events waiting, claimed by this relay, as it read it before publishing. */
  async function claimed(events: StoredEvent[]): Promise<{ id: string; read: ClaimedOutbox }> {
    const id = events[0].key;
    await users.insertOne({ _id: id as never, version: events.length, lastSequence: events.length, outbox: events, outboxSince: new Date() });
    expect(await leases.claim('user_mfa', [id])).toEqual([id]);
    const read = (await users.findOne({ _id: id as never }, { projection: { outbox: 1, lastSequence: 1 } })) as unknown as ClaimedOutbox;
    return { id, read };
  }
  /** A command commits one more event, as the aggregate store does ($push, lastSequence + 1). */
  const commit = (id: string, e: StoredEvent) =>
    users.updateOne({ _id: id as never }, { $push: { outbox: e as never }, $inc: { lastSequence: 1, version: 1 } });
  const stored = (id: string) => users.findOne({ _id: id as never });

  it('nothing committed meanwhile: the outbox is drained and its age marker removed', async () => {
    const id = randomUUID();
    const { read } = await claimed([event(id, 1), event(id, 2)]);
    const drained = await acknowledger.acknowledge(users, [read], new Map([[id, { upTo: 2 }]]));
    expect([...drained]).toEqual([id]);
    const doc = await stored(id);
    expect(doc!.outbox).toEqual([]);
    expect(doc).not.toHaveProperty('outboxSince');
    expect(woken).toEqual([]);
  });

  it('a command committed while the relay published: only the published events leave; the new one stays and is published next', async () => {
    const id = randomUUID();
    const { read } = await claimed([event(id, 1), event(id, 2)]);
    const newer = event(id, 3);
    await commit(id, newer);
    const drained = await acknowledger.acknowledge(users, [read], new Map([[id, { upTo: 2 }]]));
    expect(drained.size).toBe(0);
    const doc = await stored(id);
    expect(doc!.outbox).toEqual([newer]);
    expect(doc).toMatchObject({ lastSequence: 3, outboxSince: expect.any(Date) });
    expect(woken).toEqual([`user_mfa:${id}`]);
  });

  it('a batch is one update command whatever its size; one raced aggregate keeps its newer event, the others are drained', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const reads: ClaimedOutbox[] = [];
    for (const id of ids) reads.push((await claimed([event(id, 1), event(id, 2)])).read);
    const newer = event(ids[1], 3);
    await commit(ids[1], newer);
    const sent: string[] = [];
    const listener = (e: CommandStartedEvent) => {
      if (e.databaseName === dbName) sent.push(`${e.commandName} ${String(e.command[e.commandName])}`);
    };
    client.on('commandStarted', listener);
    let drained: Set<string>;
    try {
      drained = await acknowledger.acknowledge(users, reads, new Map(ids.map((id) => [id, { upTo: 2 }])));
    } finally {
      client.off('commandStarted', listener);
    }
    expect(new Set(drained)).toEqual(new Set([ids[0], ids[2], ids[3]]));
    // One update for the four; the miss is resolved by reads, then one compare-and-set for the raced one.
    expect(sent.filter((c) => c.startsWith('update'))).toEqual(['update user_mfa', 'update user_mfa']);
    for (const id of [ids[0], ids[2], ids[3]]) {
      const doc = await stored(id);
      expect(doc!.outbox).toEqual([]);
      expect(doc).not.toHaveProperty('outboxSince');
    }
    expect((await stored(ids[1]))!.outbox).toEqual([newer]);
    expect(woken).toEqual([`user_mfa:${ids[1]}`]);
  });

  it('a command committed right after the batch statement applied: nothing is written again, the newer event stays', async () => {
    const id = randomUUID();
    const { read } = await claimed([event(id, 1)]);
    const other = await claimed([event(randomUUID(), 1)]);
    const newer = event(id, 2);
    // The statement for `id` is applied, then the command commits before the relay looks again; the other aggregate's statement misses.
    await users.updateOne({ _id: id as never }, { $set: { outbox: [] }, $unset: { outboxSince: '' } });
    await commit(id, newer);
    await commit(other.id, event(other.id, 2));
    const updates: string[] = [];
    const listener = (e: CommandStartedEvent) => {
      if (e.databaseName === dbName && e.commandName === 'update') updates.push(JSON.stringify(e.command.updates));
    };
    client.on('commandStarted', listener);
    try {
      await acknowledger.acknowledge(
        users,
        [read, other.read],
        new Map([
          [id, { upTo: 1 }],
          [other.id, { upTo: 1 }],
        ]),
      );
    } finally {
      client.off('commandStarted', listener);
    }
    expect((await stored(id))!.outbox).toEqual([newer]);
    expect(((await stored(other.id))!.outbox as StoredEvent[]).map((e) => e.sequence)).toEqual([2]);
    // The batch's update, then one compare-and-set for `other` only.
    expect(updates).toHaveLength(2);
    expect(updates[1]).toContain(other.id);
    expect(updates[1]).not.toContain(id);
  });

  it('the lease lapsed and another instance holds it: the raced acknowledgement leaves the outbox to that instance', async () => {
    const id = randomUUID();
    const events = [event(id, 1), event(id, 2)];
    const { read } = await claimed(events);
    await db.collection(OUTBOX_LEASES_COLLECTION).updateOne({ _id: leaseKey('user_mfa', id) as never }, { $set: { owner: 'another-instance' } });
    const newer = event(id, 3);
    await commit(id, newer);
    await acknowledger.acknowledge(users, [read], new Map([[id, { upTo: 2 }]]));
    expect((await stored(id))!.outbox).toEqual([...events, newer]);
    expect(woken).toEqual([]);
  });

  it('a refused event: the events before it leave, its attempt count and error are written with the same compare-and-set (raced too); no wake-up', async () => {
    const id = randomUUID();
    const [sent, refused, behind] = [event(id, 1), event(id, 2), event(id, 3)];
    const { read } = await claimed([sent, refused, behind]);
    const newer = event(id, 4);
    await commit(id, newer);
    const error = 'KafkaRecordRefusedError: too large';
    await acknowledger.acknowledge(users, [read], new Map([[id, { upTo: 1, refused: { eventId: refused.id, attempts: 2, error } }]]));
    const outbox = (await stored(id))!.outbox as OutboxEvent[];
    expect(outbox).toEqual([{ ...refused, attempts: 2, lastError: error, lastAttemptAt: expect.any(Date) }, behind, newer]);
    // The poll's interval spaces the attempts: a refused outbox is not woken at once.
    expect(woken).toEqual([]);
  });
});
