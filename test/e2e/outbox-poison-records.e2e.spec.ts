import { Topics } from '@mfa/contracts';
import type { StoredEvent } from '@mfa/persistence';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { Document, MongoClient } from 'mongodb';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { OUTBOX_DEAD_LETTERS_COLLECTION, OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';
import { eventually } from '../harness/eventually';
import { IsolatedKafka } from '../harness/isolated-kafka';
import { KafkaCollector } from '../harness/kafka-collector';
import { ServiceProcess, startServiceProcess } from '../harness/service-process';
import { startTestApp } from '../harness/test-app';
import { requireInfra, serviceEnv, uniqueName } from '../harness/test-env';
import { STEPPED_UP } from '../harness/tokens';
import { storedUserEvent } from '../harness/stored-events';

/**
 * A record the broker refuses as such (here: larger than the `max.message.bytes` of a topic this
 * suite owns, so nothing global changes) must not block the aggregates published with it, nor its
 * own aggregate's later events: after OUTBOX_MAX_ATTEMPTS refusals it is set aside in
 * outbox_dead_letters. A broker that is away refuses nothing: no attempt is counted then.
 */
describe('outbox: records Kafka keeps refusing (poison records)', () => {
  const LIMIT = 4096;
  let mongo: MongoClient;
  let admin: Admin;
  let topic: string;

  beforeAll(async () => {
    mongo = await MongoClient.connect(requireInfra().mongoUrl);
    const kafka = new Kafka({ clientId: `poison-admin-${randomUUID()}`, brokers: requireInfra().kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    topic = uniqueName('mfa.poison-test');
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 3,
          configEntries: [
            { name: 'max.message.bytes', value: String(LIMIT) },
            { name: 'retention.ms', value: '-1' },
          ],
        },
      ],
      waitForLeaders: true,
    });
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await mongo.close();
  });

  /** A secret-looking value carried by the oversized event: it must appear in no log line. */
  const MARKER = `poison-marker-${randomUUID()}`;

  function storedEvent(userId: string, sequence: number, eventTopic: string, size = 0): StoredEvent {
    return storedUserEvent(userId, { sequence, topic: eventTopic, reason: size > 0 ? `${MARKER}${'x'.repeat(size)}` : undefined });
  }

  /** Aggregates whose outboxes hold these events, as commands leave them (the relay's start-up sweep marks them). */
  async function seedOutboxes(users: { insertMany(docs: Document[]): Promise<unknown> }, outboxes: Map<string, StoredEvent[]>): Promise<void> {
    await users.insertMany(
      [...outboxes].map(([userId, events]) => ({
        _id: userId,
        version: 1,
        lastSequence: events.length,
        outbox: events,
        outboxSince: new Date(),
      })),
    );
  }

  const setTopicLimit = (bytes: number) =>
    admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2 /* TOPIC */, name: topic, configEntries: [{ name: 'max.message.bytes', value: String(bytes) }] }],
    });

  /** The built operator CLI against one database. */
  function runOps(args: string[], dbName: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const cli = join(__dirname, '..', '..', 'dist', 'apps', 'mfa-ops', 'src', 'main.js');
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [cli, ...args], {
        env: { PATH: process.env.PATH, MONGO_URL: requireInfra().mongoUrl, MONGO_DB_NAME: dbName },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  async function metric(url: string, name: string, labels: string): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  it('an event over the topic’s max.message.bytes is set aside after OUTBOX_MAX_ATTEMPTS, with its attempts and error; everything else is published', async () => {
    const dbName = uniqueName('mfa_test');
    const db = mongo.db(dbName);
    const poisoned = uniqueName('poisoned');
    const before = storedEvent(poisoned, 1, topic);
    const poison = storedEvent(poisoned, 2, topic, 2 * LIMIT);
    const after = storedEvent(poisoned, 3, Topics.userMfa);
    const outboxes = new Map<string, StoredEvent[]>([[poisoned, [before, poison, after]]]);
    for (let i = 0; i < 6; i++) {
      const userId = uniqueName(`innocent-${i}`);
      outboxes.set(userId, [storedEvent(userId, 1, topic), storedEvent(userId, 2, Topics.userMfa)]);
    }
    const good = [...outboxes.values()].flat().filter((e) => e.id !== poison.id);
    await seedOutboxes(db.collection(USER_MFA_COLLECTION), outboxes);

    const collector = await KafkaCollector.start(requireInfra().kafkaBrokers, [topic, Topics.userMfa]);
    let service: ServiceProcess | null = null;
    try {
      service = await startServiceProcess(serviceEnv({ MONGO_DB_NAME: dbName, OUTBOX_MAX_ATTEMPTS: '3', LOG_LEVEL: 'info' }));
      const deadLetter = await eventually(
        () => db.collection(OUTBOX_DEAD_LETTERS_COLLECTION).findOne({ _id: poison.id as never }),
        (doc) => doc !== null,
        'the oversized event in outbox_dead_letters',
      );
      expect(deadLetter).toEqual({
        _id: poison.id,
        collection: USER_MFA_COLLECTION,
        event: poison,
        attempts: 3,
        reason: 'KafkaRecordRefusedError: The request included a message larger than the max message size the server will accept',
        deadLetteredAt: expect.any(Date),
      });
      await collector.waitFor((events) => good.every((e) => events.some((c) => c.id === e.id)), 30_000, 'every other event');
      await eventually(
        () =>
          db
            .collection(USER_MFA_COLLECTION)
            .find({}, { projection: { outbox: 1 } })
            .toArray(),
        (docs) => docs.every((doc) => (doc.outbox ?? []).length === 0),
        'every outbox empty',
      );

      // Nothing lost: every other event is in the event log, as stored (no attempt bookkeeping);
      // the other aggregates' were published while the poison was still being retried, not after.
      const logged = await db.collection('event_log').find({}).toArray();
      expect(logged.map((doc) => doc._id).sort()).toEqual(good.map((e) => e.id).sort());
      for (const doc of logged) {
        expect(doc).not.toHaveProperty('attempts');
        if (doc.key !== poisoned) expect(doc.publishedAt.getTime()).toBeLessThan(deadLetter!.deadLetteredAt.getTime());
      }
      // Its aggregate's later event went out too, and the poison never reached the topic.
      expect(collector.events((e) => e.id === after.id)).not.toHaveLength(0);
      expect(collector.records.filter((r) => r.headers.ce_id === poison.id)).toHaveLength(0);
      expect(await db.collection(OUTBOX_DEAD_LETTERS_COLLECTION).countDocuments({})).toBe(1);

      // Counted and logged, without the event's data.
      expect(await metric(service.url, 'mfa_outbox_refused_records_total', 'type="MfaVerificationFailed"')).toBe(3);
      expect(await metric(service.url, 'mfa_outbox_dead_lettered_events_total', 'cause="refused"')).toBe(1);
      const lines = service
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const about = lines.filter((l) => l.eventId === poison.id);
      expect(about.map((l) => [l.level, l.attempts])).toEqual([
        ['warn', 1],
        ['warn', 2],
        ['error', 3],
      ]);
      expect(about[2]).toMatchObject({ msg: 'outbox event cannot be published; moved to outbox_dead_letters', type: 'MfaVerificationFailed', sequence: 2 });
      expect(service.output()).not.toContain(MARKER);

      // Nothing is lost: once the topic accepts it, `mfa-ops redrive` puts it back and the relay publishes it.
      const dry = await runOps(['redrive', '--all', '--dry-run'], dbName);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain(`${poison.id} MfaVerificationFailed ${USER_MFA_COLLECTION}/${poisoned} sequence 2, 3 attempts: KafkaRecordRefusedError`);
      expect(dry.stdout).not.toContain(MARKER);
      expect(await db.collection(OUTBOX_DEAD_LETTERS_COLLECTION).countDocuments({})).toBe(1);
      await setTopicLimit(1024 * 1024);
      const run = await runOps(['redrive', '--ids', poison.id], dbName);
      expect(run).toMatchObject({ code: 0, stdout: expect.stringContaining('1 re-driven into their outboxes') });
      await collector.waitFor((events) => events.some((e) => e.id === poison.id), 30_000, 'the re-driven event');
      expect(collector.events((e) => e.id === poison.id)[0]).toMatchObject({ subject: poisoned, sequence: 2, data: poison.data });
      await eventually(
        () => db.collection('event_log').countDocuments({ _id: poison.id as never }),
        (n) => n === 1,
        'the re-driven event logged',
      );
      expect(await db.collection(OUTBOX_DEAD_LETTERS_COLLECTION).countDocuments({})).toBe(0);
      // The relay acknowledges after it logged the event: wait for the outbox to drain.
      await eventually(
        async () => (await db.collection(USER_MFA_COLLECTION).findOne({ _id: poisoned as never }))!.outbox,
        (outbox) => Array.isArray(outbox) && outbox.length === 0,
        'the re-driven event acknowledged',
      );
      // A re-run finds nothing to do.
      expect(await runOps(['redrive', '--ids', poison.id], dbName)).toMatchObject({
        code: 1,
        stdout: expect.stringContaining(`not in outbox_dead_letters: ${poison.id}`),
      });
    } finally {
      await setTopicLimit(LIMIT);
      service?.kill('SIGTERM');
      await service?.exited;
      await collector.stop();
      await db.dropDatabase();
    }
  });

  it('a refused event keeps its attempt count in the outbox; once the topic accepts it (limit raised), it is published, not set aside', async () => {
    const t = await startTestApp({ env: { OUTBOX_MAX_ATTEMPTS: '1000' } });
    const collector = await KafkaCollector.start(requireInfra().kafkaBrokers, [topic]);
    try {
      const userId = uniqueName('refused-then-accepted');
      const big = storedEvent(userId, 1, topic, 2 * LIMIT);
      const next = storedEvent(userId, 2, topic);
      await seedOutboxes(t.db.collection(USER_MFA_COLLECTION), new Map([[userId, [big, next]]]));
      await t.app.get(OutboxRelay).sweep();
      const waiting = await eventually(
        async () => ((await t.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never }))?.outbox ?? []) as Array<Record<string, unknown>>,
        (outbox) => Number(outbox[0]?.attempts) >= 2,
        'two refusals counted on the event',
      );
      expect(waiting).toHaveLength(2);
      expect(waiting[0]).toMatchObject({ id: big.id, lastError: expect.stringContaining('KafkaRecordRefusedError'), lastAttemptAt: expect.any(Date) });
      expect(waiting[1]).toEqual(next); // what waits behind it is untouched
      expect(collector.events((e) => e.subject === userId)).toHaveLength(0); // per-aggregate order: nothing overtakes it

      await setTopicLimit(1024 * 1024);
      await collector.waitFor((events) => events.filter((e) => e.subject === userId).length >= 2, 30_000, 'both events once accepted');
      expect(collector.events((e) => e.subject === userId).map((e) => e.id)).toEqual([big.id, next.id]);
      await eventually(
        async () => (await t.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never }))?.outbox,
        (outbox) => Array.isArray(outbox) && outbox.length === 0,
        'outbox empty',
      );
      expect(await t.db.collection(OUTBOX_DEAD_LETTERS_COLLECTION).countDocuments({})).toBe(0);
      const logged = await t.db.collection('event_log').findOne({ _id: big.id as never });
      expect(logged).not.toBeNull();
      expect(logged).not.toHaveProperty('attempts');
      expect(logged).not.toHaveProperty('lastError');
    } finally {
      await setTopicLimit(LIMIT);
      await collector.stop();
      await t.close();
    }
  });

  describe('a broker that is away refuses no record', () => {
    const kafka = new IsolatedKafka('kafka-poison', 29292);
    beforeAll(() => kafka.start({ fresh: true }));
    afterAll(() => kafka.stop());

    it('with OUTBOX_MAX_ATTEMPTS=1, an outage counts no attempt and sets nothing aside; every event is published after it', async () => {
      const t = await startTestApp({ env: { KAFKA_BROKERS: kafka.brokers, OUTBOX_MAX_ATTEMPTS: '1', MONGO_OPERATION_TIMEOUT_MS: '10000' } });
      const users = [uniqueName('outage-a'), uniqueName('outage-b'), uniqueName('outage-c')];
      try {
        kafka.stop();
        for (const sub of users) {
          const res = await t.http
            .post('/mfa/setup')
            .set('Authorization', `Bearer ${await t.token({ sub, amr: STEPPED_UP })}`)
            .send({ mfaType: 'GOOGLE_AUTH' });
          expect(res.status).toBe(200);
        }
        // The relay tries, fails and backs off several times while the broker is away.
        await eventually(
          async () => Number(/^mfa_outbox_publish_failures_total (\S+)$/m.exec((await t.http.get('/metrics')).text)?.[1] ?? 0),
          (failures) => failures >= 3,
          'three failed publications',
        );
        const waiting = await t.db
          .collection(USER_MFA_COLLECTION)
          .find({ _id: { $in: users as never[] } })
          .toArray();
        expect(waiting.flatMap((doc) => doc.outbox).length).toBeGreaterThanOrEqual(users.length);
        for (const event of waiting.flatMap((doc) => doc.outbox)) {
          expect(event).not.toHaveProperty('attempts');
          expect(event).not.toHaveProperty('lastError');
        }
        expect(await t.db.collection(OUTBOX_DEAD_LETTERS_COLLECTION).countDocuments({})).toBe(0);

        kafka.start();
        const collector = await KafkaCollector.start(kafka.brokers, [Topics.userMfa], { fromBeginning: true });
        try {
          const ids = waiting.flatMap((doc) => doc.outbox.map((e: StoredEvent) => e.id));
          await collector.waitFor((events) => ids.every((id) => events.some((e) => e.id === id)), 60_000, 'every event after the outage');
        } finally {
          await collector.stop();
        }
        expect(await t.db.collection(OUTBOX_DEAD_LETTERS_COLLECTION).countDocuments({})).toBe(0);
        expect((await t.http.get('/metrics')).text).not.toMatch(/^mfa_outbox_refused_records_total\{.*\} [1-9]/m);
      } finally {
        kafka.start();
        await t.close();
      }
    });
  });
});
