import { Topics } from '@mfa/contracts';
import { EVENT_LOG_COLLECTION } from '@mfa/persistence';
import { Collection, Db, Document, MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { dbCommands } from '../harness/db-commands';
import { OUTBOX_LEASES_COLLECTION, OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';
import { PENDING_OUTBOXES_COLLECTION } from '../../apps/mfa-service/src/outbox/pending-outboxes';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';
import { eventually } from '../harness/eventually';
import { KafkaCollector } from '../harness/kafka-collector';
import { startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';
import { adminClaims, seedAdminMfa } from '../harness/admin-mfa';
import { signToken } from '../harness/tokens';
import { storedUserEvent } from '../harness/stored-events';
import { ORG_POLICY_COLLECTION } from '../../apps/mfa-service/src/org-policy/infra/org-policy.document';

/** The relay's writes: leases, the event log, marker deletes and outbox removals (updates of the aggregates). */
const RELAY_WRITES = [
  `${OUTBOX_LEASES_COLLECTION} insert`,
  `${EVENT_LOG_COLLECTION} insert`,
  `${USER_MFA_COLLECTION} update`,
  `${PENDING_OUTBOXES_COLLECTION} delete`,
  `${OUTBOX_LEASES_COLLECTION} delete`,
];

/** Every `find` the process sends while recording (collection and filter); `stop` ends the recording. */
function recordFinds(): { finds: Array<{ collection: string; filter: Document }>; stop: () => void } {
  const finds: Array<{ collection: string; filter: Document }> = [];
  const original = Collection.prototype.find;
  const spy = jest.spyOn(Collection.prototype, 'find').mockImplementation(function (this: Collection, ...args: unknown[]) {
    finds.push({ collection: this.collectionName, filter: (args[0] ?? {}) as Document });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as never);
  return { finds, stop: () => spy.mockRestore() };
}

/** Finds of one collection by an `_id` list (`{_id: {$in}}`): how the relay reads a batch's outboxes or markers. */
const byIdList = (finds: Array<{ collection: string; filter: Document }>, collection: string) =>
  finds.filter((f) => f.collection === collection && typeof f.filter._id === 'object' && f.filter._id !== null && '$in' in f.filter._id);

/**
 * Issue 16's relay budget, measured with the production metric (mfa_db_commands_total): a batch
 * costs the same five writes whatever its size (lease insert, event-log insert, one `update`
 * command removing every aggregate's published events, one `delete` command of markers, lease
 * delete), so at most one write per published event once a batch holds five aggregates.
 */
describe('outbox relay: database writes per published event', () => {
  const AGGREGATES = 40;
  let t: TestApp;
  let kafka: KafkaCollector;
  let mongo: MongoClient;

  beforeAll(async () => {
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.userMfa, Topics.orgPolicy]);
    t = await startTestApp({ env: { MFA_SCHEDULER_INTERVAL_MS: '0' } });
    mongo = await MongoClient.connect(requireInfra().mongoUrl);
    // Let the start-up sweep (which touches the markers of outboxes it finds) pass before seeding.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  });
  afterAll(async () => {
    await mongo.close();
    await t.close();
    await kafka.stop();
  });

  /** AGGREGATES user outboxes holding one event each, as commits leave them (nothing woken, no marker). */
  async function seedOutboxes(db: Db, prefix: string): Promise<Array<{ userId: string; event: ReturnType<typeof storedUserEvent> }>> {
    const outboxes = Array.from({ length: AGGREGATES }, () => {
      const userId = `${prefix}-${randomUUID()}`;
      return { userId, event: storedUserEvent(userId) };
    });
    await db
      .collection(USER_MFA_COLLECTION)
      .insertMany(outboxes.map(({ userId, event }) => ({ _id: userId as never, version: 1, lastSequence: 1, outbox: [event], outboxSince: event.time })));
    return outboxes;
  }

  /** Until no outbox of `collection` holds events and no marker or lease is left (the left-over marker included). */
  async function drained(db: Db, collection: string): Promise<void> {
    await eventually(
      async () => ({
        pending: await db.collection(PENDING_OUTBOXES_COLLECTION).countDocuments({}),
        leases: await db.collection(OUTBOX_LEASES_COLLECTION).countDocuments({}),
        waiting: await db.collection(collection).countDocuments({ outboxSince: { $exists: true } }),
      }),
      (s) => s.pending === 0 && s.leases === 0 && s.waiting === 0,
      'outboxes drained, markers and leases gone',
    );
  }

  /** Each event once on Kafka and once in the event log. */
  async function expectPublishedAndLoggedOnce(db: Db, ids: Set<string>): Promise<void> {
    expect(
      kafka
        .events((e) => ids.has(e.id))
        .map((e) => e.id)
        .sort(),
    ).toEqual([...ids].sort());
    expect(await db.collection(EVENT_LOG_COLLECTION).countDocuments({ _id: { $in: [...ids] as never[] } })).toBe(AGGREGATES);
  }

  it(`${AGGREGATES} aggregates with one event each: every event published and logged once, in batches of five writes (≤ 1 per event)`, async () => {
    const db = mongo.db(t.db.name);
    const relay = t.app.get(OutboxRelay);
    // Outboxes as another instance's commands leave them (no wake-up here): the poll finds them by marker.
    const outboxes = await seedOutboxes(db, 'relay-cost');
    const before = await dbCommands(t);
    const recording = recordFinds();
    await relay.markPending(
      USER_MFA_COLLECTION,
      outboxes.map(({ userId }) => ({ id: userId, events: 1 })),
      new Date(),
    );

    const ids = new Set(outboxes.map(({ event }) => event.id));
    await kafka.waitFor((events) => events.filter((e) => ids.has(e.id)).length >= AGGREGATES, 30_000, 'the seeded events');
    await drained(db, USER_MFA_COLLECTION);
    await relay.whenIdle();
    const after = await dbCommands(t);
    recording.stop();

    await expectPublishedAndLoggedOnce(db, ids);

    const writes = Object.fromEntries(RELAY_WRITES.map((key) => [key, (after.get(key) ?? 0) - (before.get(key) ?? 0)]));
    const batches = writes[`${OUTBOX_LEASES_COLLECTION} insert`];
    expect(batches).toBeGreaterThanOrEqual(1);
    // One command of each kind per batch, whatever the number of aggregates in it.
    expect(writes).toEqual(Object.fromEntries(RELAY_WRITES.map((key) => [key, batches])));
    const total = Object.values(writes).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(AGGREGATES);
    // Reads: one of the batch's outboxes (an `_id` list, an index read), none of markers (the poll read them).
    expect(byIdList(recording.finds, USER_MFA_COLLECTION)).toHaveLength(batches);
    expect(byIdList(recording.finds, PENDING_OUTBOXES_COLLECTION)).toHaveLength(0);
  });

  it('woken user-mfa aggregates (their commits write no marker): no marker read, one outbox read per batch; a marker left earlier is cleared by the poll', async () => {
    const db = mongo.db(t.db.name);
    const relay = t.app.get(OutboxRelay);
    const outboxes = await seedOutboxes(db, 'relay-woken');
    // One of them has a marker the relay left after a failed publication.
    const [leftOver] = outboxes;
    await db.collection(PENDING_OUTBOXES_COLLECTION).insertOne({
      _id: `${USER_MFA_COLLECTION}:${leftOver.userId}` as never,
      collection: USER_MFA_COLLECTION,
      aggregateId: leftOver.userId,
      since: new Date(leftOver.event.time),
      touch: 1,
      events: 1,
    });
    const before = await dbCommands(t);
    const recording = recordFinds();
    for (const { userId } of outboxes) relay.wake(USER_MFA_COLLECTION, userId, false);
    const ids = new Set(outboxes.map(({ event }) => event.id));
    await kafka.waitFor((events) => events.filter((e) => ids.has(e.id)).length >= AGGREGATES, 30_000, 'the woken events');
    await relay.whenIdle();
    const after = await dbCommands(t);
    recording.stop();

    const batches = (after.get(`${OUTBOX_LEASES_COLLECTION} insert`) ?? 0) - (before.get(`${OUTBOX_LEASES_COLLECTION} insert`) ?? 0);
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(byIdList(recording.finds, PENDING_OUTBOXES_COLLECTION)).toHaveLength(0);
    expect(byIdList(recording.finds, USER_MFA_COLLECTION)).toHaveLength(batches);
    // The left-over marker goes at the poll (which finds the outbox empty); nothing is published twice.
    await drained(db, USER_MFA_COLLECTION);
    await relay.whenIdle();
    await expectPublishedAndLoggedOnce(db, ids);
  });

  it("commits arriving while batches are in flight (the next batch overlaps the previous one's removal): each event once, in per-aggregate order, nothing left behind", async () => {
    const db = mongo.db(t.db.name);
    const orgs = Array.from({ length: 12 }, () => uniqueName('org-relay'));
    const CHANGES = 6;
    await Promise.all(
      orgs.map(async (orgId) => {
        await seedAdminMfa(t.db, `owner-${orgId}`);
        const auth = `Bearer ${await signToken(adminClaims(`owner-${orgId}`, orgId, 255))}`;
        for (let i = 0; i < CHANGES; i++) {
          const res = await t.http
            .post('/mfa/organization/enforce')
            .set('Authorization', auth)
            .send({ enforced: true, gracePeriodDays: i + 1 });
          expect(res.status).toBe(200);
        }
      }),
    );
    const ofOrg = (orgId: string) => kafka.events((e) => e.subject === orgId);
    await kafka.waitFor(() => orgs.every((o) => ofOrg(o).length >= CHANGES), 60_000, 'every org change');
    await drained(db, ORG_POLICY_COLLECTION);
    await t.app.get(OutboxRelay).whenIdle();
    for (const orgId of orgs) {
      const events = kafka.events((e) => e.subject === orgId);
      expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: CHANGES }, (_, i) => i + 1));
      expect(new Set(events.map((e) => e.id)).size).toBe(CHANGES);
      expect(await db.collection(EVENT_LOG_COLLECTION).countDocuments({ _id: { $in: events.map((e) => e.id) as never[] } })).toBe(CHANGES);
    }
  });
});
