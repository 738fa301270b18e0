import { Topics } from '@mfa/contracts';
import type { EventEnvelope } from '@mfa/contracts';
import { MongoClient } from 'mongodb';
import { IsolatedKafka } from '../harness/isolated-kafka';
import { KafkaCollector } from '../harness/kafka-collector';
import { startServiceProcess } from '../harness/service-process';
import { startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, serviceEnv, uniqueName } from '../harness/test-env';
import { signToken } from '../harness/tokens';
import { adminClaims, seedAdminMfa } from '../harness/admin-mfa';
import { eventually } from '../harness/eventually';

/**
 * The event pipeline's promises (events.md "Delivery guarantees"), each proved against a
 * real broker that this suite stops, restarts and a real service process it kills.
 */
describe('delivery guarantees (outbox → Kafka)', () => {
  const kafka = new IsolatedKafka('kafka-outage', 29092);
  let mongo: MongoClient;

  beforeAll(async () => {
    kafka.start({ fresh: true });
    mongo = await MongoClient.connect(requireInfra().mongoUrl);
  });
  afterAll(async () => {
    kafka.stop();
    await mongo.close();
  });

  // Owners with MFA and a stepped-up session: some changes below lower security (lift, longer grace).
  const ownerToken = (orgId: string) => signToken(adminClaims(`owner-${orgId}`, orgId, 255));
  const orgEvents = (collector: KafkaCollector, orgId: string) => collector.events((e) => e.subject === orgId);
  const sequencesOf = (events: EventEnvelope[]) => events.map((e) => e.sequence);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  const countById = (events: EventEnvelope[]) => events.reduce((counts, e) => counts.set(e.id, (counts.get(e.id) ?? 0) + 1), new Map<string, number>());

  async function enforceOverHttp(baseUrl: string, orgId: string, body: object): Promise<number> {
    const res = await fetch(`${baseUrl}/mfa/organization/enforce`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await ownerToken(orgId)}` },
      body: JSON.stringify(body),
    });
    return res.status;
  }

  async function metric(t: TestApp, name: string): Promise<number> {
    const text = (await t.http.get('/metrics')).text;
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : NaN;
  }

  it('(a) Kafka down: commands still succeed, the backlog grows, and after the restart every event arrives once, in order', async () => {
    const t = await startTestApp({ env: { KAFKA_BROKERS: kafka.brokers } });
    const orgId = uniqueName('org-outage');
    await seedAdminMfa(t.db, `owner-${orgId}`);
    const auth = `Bearer ${await ownerToken(orgId)}`;
    try {
      kafka.stop();
      for (let i = 0; i < 6; i++) {
        const res = await t.http
          .post('/mfa/organization/enforce')
          .set('Authorization', auth)
          .send({ enforced: i % 2 === 0 });
        expect(res.status).toBe(200);
      }
      // The 6 org events, plus up to 3 UserMfaSetupRequired for the owner (no MFA): one per enforcement
      // whose fan-out ran before the next toggle superseded it.
      await eventually(
        () => metric(t, 'mfa_outbox_backlog_events'),
        (n) => n >= 6 && n <= 9,
        'backlog of 6 to 9',
        15_000,
      );
      expect(await metric(t, 'mfa_outbox_oldest_unpublished_age_seconds')).toBeGreaterThan(0);
      // Readiness follows the database only (contract, Operations): Kafka's outage is reported, not fatal.
      const ready = await t.http.get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.checks).toEqual({ database: 'up', kafka: 'down' });
      expect(ready.body.outbox.backlogEvents).toBeGreaterThanOrEqual(6);
      expect(ready.body.outbox.oldestUnpublishedAgeSeconds).toBeGreaterThan(0);

      // A user's command writes no marker itself: the relay marks the outbox it could not publish.
      const userId = uniqueName('user-outage');
      const setup = await t.http
        .post('/mfa/setup')
        .set('Authorization', `Bearer ${await signToken({ sub: userId, orgId, orgRole: 0, amr: ['pwd'] })}`)
        .send({ mfaType: 'GOOGLE_AUTH' });
      expect(setup.status).toBe(200);
      const marker = await eventually(
        () => t.db.collection('outbox_pending').findOne({ _id: `user_mfa:${userId}` as never }),
        (found) => found !== null,
        'a marker for the user outbox the relay could not publish',
      );
      expect(marker).toMatchObject({ collection: 'user_mfa', aggregateId: userId, events: 1 });

      kafka.start();
      const collector = await KafkaCollector.start(kafka.brokers, [Topics.orgPolicy, Topics.userMfa], { fromBeginning: true });
      try {
        await collector.waitFor((all) => all.filter((e) => e.subject === orgId).length >= 6, 60_000, '6 events after recovery');
        await new Promise((resolve) => setTimeout(resolve, 1500)); // would-be duplicates have time to arrive
        const events = orgEvents(collector, orgId);
        expect(sequencesOf(events)).toEqual(range(6));
        expect([...countById(events).values()].every((n) => n === 1)).toBe(true);
        expect(events.map((e) => e.type)).toEqual([
          'OrgMfaEnforced',
          'OrgMfaEnforcementLifted',
          'OrgMfaEnforced',
          'OrgMfaEnforcementLifted',
          'OrgMfaEnforced',
          'OrgMfaEnforcementLifted',
        ]);
        await collector.waitFor((all) => all.some((e) => e.subject === userId), 30_000, "the user's event after recovery");
        expect(collector.events((e) => e.subject === userId).map((e) => e.type)).toEqual(['MfaMethodSetupStarted']);
        await eventually(
          () => metric(t, 'mfa_outbox_backlog_events'),
          (n) => n === 0,
          'empty backlog',
          15_000,
        );
        expect((await t.http.get('/health/ready')).status).toBe(200);
        expect(await metric(t, 'mfa_outbox_publish_failures_total')).toBeGreaterThan(0);
      } finally {
        await collector.stop();
      }
    } finally {
      kafka.start();
      await t.close();
    }
  });

  it('(b) the service SIGKILLed after the write, before the publish: the restarted service publishes the event', async () => {
    const env = serviceEnv({ KAFKA_BROKERS: kafka.brokers });
    const orgId = uniqueName('org-crash');
    const first = await startServiceProcess(env);
    kafka.stop();
    try {
      expect(await enforceOverHttp(first.url, orgId, { enforced: true, gracePeriodDays: 5 })).toBe(200);
      first.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
    } finally {
      kafka.start();
    }
    const stored = await mongo
      .db(env.MONGO_DB_NAME)
      .collection('org_policies')
      .findOne({ _id: orgId as never });
    expect(stored?.outbox).toHaveLength(1); // written, never published

    const collector = await KafkaCollector.start(kafka.brokers, [Topics.orgPolicy], { fromBeginning: true });
    const second = await startServiceProcess(env);
    try {
      const events = await collector.waitFor((all) => all.some((e) => e.subject === orgId), 30_000, 'the crashed command’s event');
      const mine = events.filter((e) => e.subject === orgId);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ type: 'OrgMfaEnforced', sequence: 1, id: stored?.outbox[0].id });
      await eventually(
        () =>
          mongo
            .db(env.MONGO_DB_NAME)
            .collection('org_policies')
            .findOne({ _id: orgId as never }),
        (doc) => doc?.outbox.length === 0,
        'outbox drained',
        15_000,
      );
    } finally {
      second.kill('SIGTERM');
      await second.exited;
      await collector.stop();
      await mongo.db(env.MONGO_DB_NAME).dropDatabase();
    }
  });

  it('(c) SIGTERM while the relay is publishing: the process drains and exits 0, and no event is lost', async () => {
    const env = serviceEnv({ KAFKA_BROKERS: kafka.brokers });
    const orgs = Array.from({ length: 20 }, () => uniqueName('org-term'));
    const collector = await KafkaCollector.start(kafka.brokers, [Topics.orgPolicy], { fromBeginning: true });
    const service = await startServiceProcess(env);
    for (const orgId of orgs) await seedAdminMfa(mongo.db(env.MONGO_DB_NAME), `owner-${orgId}`);
    const accepted = new Map<string, number>(orgs.map((o) => [o, 0]));
    let stop = false;
    // Each org gets a series of settings changes; every 200 is one committed event.
    const load = orgs.map(async (orgId) => {
      for (let grace = 1; grace <= 15 && !stop; grace++) {
        try {
          const status = await enforceOverHttp(service.url, orgId, { enforced: true, gracePeriodDays: grace });
          if (status === 200) accepted.set(orgId, accepted.get(orgId)! + 1);
          else break;
        } catch {
          break; // connection refused once the server stopped accepting
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    service.kill('SIGTERM');
    const exit = await service.exited;
    stop = true;
    await Promise.all(load);
    expect(exit.code).toBe(0);
    expect(service.output()).toContain('"msg":"stopped"');
    const total = [...accepted.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0);

    // Whatever the first process did not publish, a new one does: every committed event reaches
    // Kafka. A command can commit while its client loses the answer in the shutdown race, so the
    // committed count may exceed the acknowledged one, never the other way round.
    const committed = new Map<string, number>();
    for (const orgId of orgs) {
      const doc = await mongo
        .db(env.MONGO_DB_NAME)
        .collection('org_policies')
        .findOne({ _id: orgId as never });
      committed.set(orgId, doc?.lastSequence ?? 0);
      expect(committed.get(orgId)).toBeGreaterThanOrEqual(accepted.get(orgId)!);
      expect(committed.get(orgId)! - accepted.get(orgId)!).toBeLessThanOrEqual(1);
    }
    const next = await startServiceProcess(env);
    try {
      await collector.waitFor((all) => orgs.every((o) => all.filter((e) => e.subject === o).length >= committed.get(o)!), 60_000, `${total} accepted events`);
      for (const orgId of orgs) {
        const events = orgEvents(collector, orgId);
        expect([...new Set(sequencesOf(events))]).toEqual(range(committed.get(orgId)!));
      }
    } finally {
      next.kill('SIGTERM');
      await next.exited;
      await collector.stop();
      await mongo.db(env.MONGO_DB_NAME).dropDatabase();
    }
  });

  it('(d) two instances on one database: every event published exactly once, none skipped, per-org order kept', async () => {
    const dbName = uniqueName('mfa_two');
    const a = await startTestApp({ env: { KAFKA_BROKERS: kafka.brokers, MONGO_DB_NAME: dbName } });
    const b = await startTestApp({ env: { KAFKA_BROKERS: kafka.brokers, MONGO_DB_NAME: dbName } });
    const collector = await KafkaCollector.start(kafka.brokers, [Topics.orgPolicy], { fromBeginning: true });
    const orgs = Array.from({ length: 25 }, () => uniqueName('org-two'));
    try {
      await Promise.all(
        orgs.map(async (orgId) => {
          await seedAdminMfa(a.db, `owner-${orgId}`);
          const auth = `Bearer ${await ownerToken(orgId)}`;
          for (let i = 0; i < 6; i++) {
            const instance = i % 2 === 0 ? a : b; // alternate instances for the same org
            const res = await instance.http
              .post('/mfa/organization/enforce')
              .set('Authorization', auth)
              .send({ enforced: true, gracePeriodDays: i + 1 });
            expect(res.status).toBe(200);
          }
        }),
      );
      await collector.waitFor((all) => orgs.every((o) => all.filter((e) => e.subject === o).length >= 6), 60_000, '150 events');
      await new Promise((resolve) => setTimeout(resolve, 2500)); // both relays keep polling: give duplicates a chance
      for (const orgId of orgs) {
        const events = orgEvents(collector, orgId);
        expect(sequencesOf(events)).toEqual(range(6));
        expect([...countById(events).values()].every((n) => n === 1)).toBe(true);
      }
    } finally {
      await collector.stop();
      await b.app.close();
      await a.close();
    }
  });

  it('(e) 100 rapid toggles on one org arrive in sequence order; publish latency measured', async () => {
    const t = await startTestApp({ env: { KAFKA_BROKERS: kafka.brokers } });
    const collector = await KafkaCollector.start(kafka.brokers, [Topics.orgPolicy], { fromBeginning: true });
    const orgId = uniqueName('org-toggle');
    await seedAdminMfa(t.db, `owner-${orgId}`);
    const auth = `Bearer ${await ownerToken(orgId)}`;
    const answeredAt: number[] = [];
    try {
      for (let i = 0; i < 100; i++) {
        const res = await t.http
          .post('/mfa/organization/enforce')
          .set('Authorization', auth)
          .send({ enforced: i % 2 === 0 });
        expect(res.status).toBe(200);
        answeredAt.push(Date.now());
      }
      await collector.waitFor((all) => all.filter((e) => e.subject === orgId).length >= 100, 60_000, '100 toggles');
      const records = collector.records.filter((r) => r.key === orgId);
      expect(records.map((r) => Number(r.headers.ce_sequence))).toEqual(range(100));
      expect(new Set(records.map((r) => r.partition)).size).toBe(1);
      expect(records.map((r) => r.headers.ce_type)).toEqual(range(100).map((n) => (n % 2 === 1 ? 'OrgMfaEnforced' : 'OrgMfaEnforcementLifted')));
      const latencies = records.map((r, i) => r.receivedAt - answeredAt[i]).sort((x, y) => x - y);
      const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
      console.log(`response → consumer latency over 100 events: p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${latencies[latencies.length - 1]} ms`);
      expect(latencies[latencies.length - 1]).toBeLessThan(10_000);
    } finally {
      await collector.stop();
      await t.close();
    }
  });
});
