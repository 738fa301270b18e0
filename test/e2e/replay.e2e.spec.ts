import { uuidv7 } from '@mfa/common/ids/uuid-v7';
import { EVENT_CATALOGUE, EventType, Topics } from '@mfa/contracts';
import { KafkaClient, OutgoingRecord } from '@mfa/messaging';
import { EVENT_LOG_COLLECTION, EventLogDocument } from '@mfa/persistence';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { Db, Document, MongoClient } from 'mongodb';
import pino from 'pino';
import { JobBusyError, REPLAY_JOBS_COLLECTION, ReplayJobDocument } from '../../apps/mfa-ops/src/replay/replay-job';
import { UsageError } from '../../apps/mfa-ops/src/replay/replay-options';
import { ReplaySelection } from '../../apps/mfa-ops/src/replay/replay-selection';
import { EventPublisher, ReplayDataError, Replayer, ReplayRequest } from '../../apps/mfa-ops/src/replay/replayer';
import { KafkaCollector } from '../harness/kafka-collector';
import { requireInfra, uniqueName } from '../harness/test-env';

/**
 * The operator replay against the real database and broker: an event log of 10,000
 * replayable events (+ delivery events that must never leave) seeded directly.
 */
jest.setTimeout(60_000);

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'apps', 'mfa-ops', 'src', 'main.js');
const TOTAL = 10_000;
/** The selection checks run on a smaller log of their own: each FerretDB v1 query scans it whole. */
const SMALL_TOTAL = 1_200;
const T0 = Date.UTC(2025, 0, 1);
const SOURCE = 'mfa-service';

const ORG_TYPES: EventType[] = ['OrgMfaEnforced', 'UserMfaExemptionGranted', 'OrgMfaEnforcementLifted'];
const USER_TYPES: EventType[] = [
  'MfaMethodSetupStarted',
  'MfaMethodEnabled',
  'MfaVerificationSucceeded',
  'MfaVerificationFailed',
  'MfaReset',
  'BackupCodesRegenerated',
];

const run = uniqueName('r');
const orgA = `org-a-${run}`;
const orgB = `org-b-${run}`;
// Users 0-29 belong to org A, 30-35 to org B, 36-39 to no org.
const users = Array.from({ length: 40 }, (_, i) => `user-${i}-${run}`);
const orgOfUser = (i: number) => (i < 30 ? orgA : i < 36 ? orgB : null);

function logDoc(
  fields: Omit<EventLogDocument, '_id' | 'id' | 'schemaVersion' | 'correlationId' | 'causationId' | 'actorId' | 'actorType' | 'publishedAt'>,
): EventLogDocument {
  const id = uuidv7(fields.time.getTime());
  return {
    _id: id,
    id,
    schemaVersion: 1,
    correlationId: `corr-${id}`,
    causationId: `cause-${id}`,
    actorId: 'system',
    actorType: 'system',
    publishedAt: new Date(fields.time.getTime() + 50),
    ...fields,
  };
}

/**
 * Three events per timestamp and two consecutive events per user, so one aggregate often has
 * two events in the same millisecond; their ids are swapped so that only the sequence
 * tie-break (not the id) puts them in order.
 */
function seed(total: number): { replayable: EventLogDocument[]; delivery: EventLogDocument[] } {
  const sequences = new Map<string, number>();
  const next = (key: string) => {
    const n = (sequences.get(key) ?? 0) + 1;
    sequences.set(key, n);
    return n;
  };
  const docs: EventLogDocument[] = [];
  for (let i = 0; i < total; i++) {
    const time = new Date(T0 + Math.floor(i / 3) * 1000);
    if (i % 10 === 9) {
      const orgId = i % 30 === 29 ? orgB : orgA;
      const type = ORG_TYPES[Math.floor(i / 10) % ORG_TYPES.length];
      const userId = type === 'UserMfaExemptionGranted' ? users[Math.floor(i / 10) % 30] : null;
      docs.push(
        logDoc({
          type,
          topic: Topics.orgPolicy,
          key: orgId,
          aggregate: 'org',
          sequence: next(orgId),
          time,
          orgId,
          userId,
          data: { orgId, n: i },
          replayable: true,
        }),
      );
    } else {
      const u = Math.floor(i / 2) % users.length;
      const type = USER_TYPES[i % USER_TYPES.length];
      const userId = users[u];
      docs.push(
        logDoc({
          type,
          topic: Topics.userMfa,
          key: userId,
          aggregate: 'user',
          sequence: next(userId),
          time,
          orgId: orgOfUser(u),
          userId,
          data: { userId, n: i },
          replayable: true,
        }),
      );
    }
  }
  for (let i = 1; i < docs.length; i++) {
    const [a, b] = [docs[i - 1], docs[i]];
    if (a.key === b.key && a.time.getTime() === b.time.getTime()) {
      [a._id, b._id] = [b._id, a._id];
      [a.id, b.id] = [b.id, a.id];
    }
  }
  const magic = (k: number, flag: boolean) => {
    const doc = logDoc({
      type: 'MagicLinkRequested',
      topic: Topics.delivery,
      key: users[k],
      aggregate: 'user',
      sequence: 1000 + k,
      time: new Date(T0 + (k + 1) * Math.floor(total / 20) * 1000),
      orgId: orgA,
      userId: users[k],
      data: { userId: users[k], purpose: 'login', expiresAt: new Date(T0).toISOString(), redacted: true },
      replayable: false,
    });
    // An older document without the flag is still excluded, by its type.
    if (!flag) delete (doc as Partial<EventLogDocument>).replayable;
    return doc;
  };
  const delivery = [magic(0, true), magic(1, true), magic(2, true), magic(3, true), magic(4, false)];
  return { replayable: docs, delivery };
}

const order = (a: EventLogDocument, b: EventLogDocument) =>
  a.time.getTime() - b.time.getTime() || a.sequence - b.sequence || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

/**
 * The replay order, restated: events are reached in id order, and an event goes out once it has
 * been reached and every earlier sequence of its key (among the selected events) has gone out.
 */
function replayOrder(docs: EventLogDocument[]): EventLogDocument[] {
  const byIdOrder = [...docs].sort((a, b) => (a._id < b._id ? -1 : 1));
  const keyQueues = new Map<string, EventLogDocument[]>();
  for (const d of [...docs].sort((a, b) => a.sequence - b.sequence)) keyQueues.set(d.key, [...(keyQueues.get(d.key) ?? []), d]);
  const reached = new Set<string>();
  const out: EventLogDocument[] = [];
  for (const d of byIdOrder) {
    reached.add(d._id);
    const queue = keyQueues.get(d.key)!;
    while (queue.length > 0 && reached.has(queue[0]._id)) out.push(queue.shift()!);
  }
  return out;
}

async function seedLog(db: Db, docs: EventLogDocument[]): Promise<void> {
  const log = db.collection<EventLogDocument>(EVENT_LOG_COLLECTION);
  await log.createIndex({ time: 1 });
  // Shuffled insertion order: the replay must not depend on the natural order.
  const shuffled = [...docs].sort(() => Math.random() - 0.5);
  for (let i = 0; i < shuffled.length; i += 2000) await log.insertMany(shuffled.slice(i, i + 2000), { ordered: false });
}

/** Records what would go to Kafka, for selection checks that do not need a broker. */
class CapturingPublisher implements EventPublisher {
  readonly records: OutgoingRecord[] = [];
  async send(records: OutgoingRecord[]): Promise<void> {
    this.records.push(...records);
  }
  ids(): string[] {
    return this.records.map((r) => r.headers.ce_id);
  }
}

function runCli(args: string[], env: Record<string, string>, onStart?: (child: ReturnType<typeof spawn>) => void) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    onStart?.(child);
  });
}

/** The spawned CLI must be the build of the current sources (bin/test builds before jest). */
function assertCliBuilt(): void {
  const sources: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) sources.push(path);
    }
  };
  walk(join(ROOT, 'apps', 'mfa-ops', 'src'));
  const newest = Math.max(...sources.map((s) => statSync(s).mtimeMs));
  if (!existsSync(CLI) || statSync(CLI).mtimeMs < newest) {
    throw new Error(`${CLI} is missing or older than apps/mfa-ops/src: run \`npm run build\` before this test (bin/test does)`);
  }
}

describe('replay (ops CLI) on the real event log and broker', () => {
  const infra = requireInfra();
  const dbName = uniqueName('mfa_replay');
  const { replayable, delivery } = seed(TOTAL);
  const byId = new Map(replayable.map((d) => [d._id, d]));
  const sorted = [...replayable].sort(order);
  const replayed = replayOrder(replayable);
  const topics: string[] = [];
  let mongo: MongoClient;
  let db: Db;
  let kafka: KafkaClient;
  let replayer: Replayer;

  const topic = (name: string) => {
    const t = `${uniqueName(`replay-test-${name}`)}`.replace(/_/g, '-');
    topics.push(t);
    return t;
  };
  const request = (overrides: Partial<ReplayRequest> & { selection?: ReplaySelection } = {}): ReplayRequest => ({
    jobName: uniqueName('job'),
    selection: {},
    target: { topic: null },
    batchSize: 500,
    restart: false,
    ...overrides,
  });
  const jobDoc = (name: string) => db.collection<ReplayJobDocument>(REPLAY_JOBS_COLLECTION).findOne({ _id: name });

  beforeAll(async () => {
    mongo = await MongoClient.connect(infra.mongoUrl, { serverSelectionTimeoutMS: 5000 });
    db = mongo.db(dbName);
    await seedLog(db, [...replayable, ...delivery]);
    kafka = new KafkaClient({
      brokers: infra.kafkaBrokers.split(','),
      clientId: uniqueName('replay-test'),
      connectTimeoutMs: 5000,
      logger: pino({ level: 'silent' }),
    });
    await kafka.start([]);
    replayer = new Replayer(db, { source: SOURCE });
  });

  afterAll(async () => {
    await kafka?.stop();
    await db?.dropDatabase().catch(() => undefined);
    await mongo?.close();
    const admin = new Kafka({ clientId: uniqueName('replay-cleanup'), brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics, timeout: 5000 }).catch(() => undefined);
    await admin.disconnect();
  });

  it('dry run (CLI): counts exactly by type and topic, publishes and records nothing, needs no broker', async () => {
    assertCliBuilt();
    const cli = await runCli(['replay', '--all', '--dry-run', '--to-topic', 'never-created', '--job', 'dry'], {
      MONGO_URL: infra.mongoUrl,
      MONGO_DB_NAME: dbName,
      KAFKA_BROKERS: '127.0.0.1:9',
    });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`would replay ${TOTAL} events (`);
    expect(cli.stdout).toMatch(/to never-created\n$/);
    const expected = new Map<string, number>();
    for (const d of replayable) expected.set(`${d.type}|${d.topic}`, (expected.get(`${d.type}|${d.topic}`) ?? 0) + 1);
    const table = cli.stdout
      .split('\n')
      .slice(1, -2)
      .map((line) => line.trim().split(/ +/));
    expect(new Map(table.map(([type, topicName, count]) => [`${type}|${topicName}`, Number(count)]))).toEqual(expected);
    expect(cli.stdout).not.toContain('MagicLinkRequested');
    expect(await db.collection(REPLAY_JOBS_COLLECTION).countDocuments()).toBe(0);
    const admin = new Kafka({ clientId: uniqueName('replay-check'), brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain('never-created');
    await admin.disconnect();
  });

  it('replays all 10,000 events with their ids, sequences, keys and times, marked replay, never a delivery event', async () => {
    const target = topic('all');
    const collector = await KafkaCollector.start(infra.kafkaBrokers, [target], { fromBeginning: true });
    try {
      const plan = await replayer.plan(request({ target: { topic: target } }));
      const outcome = await replayer.run(plan, kafka);
      expect(outcome).toMatchObject({ status: 'completed', published: TOTAL, topics: [target], job: { published: TOTAL, total: TOTAL } });
      process.stdout.write(`replay of ${TOTAL} events: ${outcome.durationMs} ms (${Math.round(TOTAL / (outcome.durationMs / 1000))} events/s)\n`);

      await collector.waitFor((events) => events.length >= TOTAL, 30_000, `${TOTAL} replayed events`);
      const records = collector.records;
      expect(records).toHaveLength(TOTAL);
      expect(new Set(records.map((r) => r.event?.id))).toEqual(new Set(byId.keys()));
      const lastSequence = new Map<string, number>();
      for (const record of records) {
        const event = record.event!;
        const original = byId.get(event.id)!;
        expect(event.type).not.toBe('MagicLinkRequested');
        expect(record.key).toBe(original.key);
        expect(record.headers.ce_replay).toBe('true');
        expect(event).toMatchObject({
          replay: true,
          source: SOURCE,
          type: original.type,
          subject: original.key,
          sequence: original.sequence,
          time: original.time.toISOString(),
          correlationid: original.correlationId,
          data: original.data,
        });
        // Kafka keeps one key on one partition, in order: each aggregate's sequence only grows.
        expect(event.sequence).toBeGreaterThan(lastSequence.get(original.key) ?? 0);
        lastSequence.set(original.key, event.sequence);
      }

      // Record timestamps are the events' own times: the offset Kafka finds for a timestamp
      // counts exactly the events before it (each partition is in time order).
      const admin = new Kafka({ clientId: uniqueName('replay-check'), brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const middle = sorted[TOTAL / 2].time.getTime();
      const offsets = await admin.fetchTopicOffsetsByTimestamp(target, middle);
      await admin.disconnect();
      expect(offsets.reduce((sum, o) => sum + Number(o.offset), 0)).toBe(replayable.filter((d) => d.time.getTime() < middle).length);
    } finally {
      await collector.stop();
    }
  });

  describe('selections yield exactly their events, in replay order (on a smaller log)', () => {
    const small = seed(SMALL_TOTAL);
    const smallSorted = [...small.replayable].sort(order);
    const smallReplayed = replayOrder(small.replayable);
    const smallById = new Map(small.replayable.map((d) => [d._id, d]));
    let smallDb: Db;
    let smallReplayer: Replayer;
    beforeAll(async () => {
      smallDb = mongo.db(`${dbName}_small`);
      await seedLog(smallDb, [...small.replayable, ...small.delivery]);
      // Small pages: several id-range queries per run.
      smallReplayer = new Replayer(smallDb, { source: SOURCE, pageSize: 70 });
    });
    afterAll(async () => {
      await smallDb?.dropDatabase().catch(() => undefined);
    });

    const idSample = smallSorted.filter((_, i) => i % 37 === 5).map((d) => d._id);
    const from = smallSorted[Math.floor(SMALL_TOTAL * 0.3)].time.toISOString();
    const to = smallSorted[Math.floor(SMALL_TOTAL * 0.5)].time.toISOString();
    const inRange = (d: EventLogDocument) => d.time.getTime() >= Date.parse(from) && d.time.getTime() < Date.parse(to);
    const cases: Array<[string, ReplaySelection, (d: EventLogDocument) => boolean]> = [
      ['by type', { types: ['MfaReset', 'OrgMfaEnforced'] }, (d) => d.type === 'MfaReset' || d.type === 'OrgMfaEnforced'],
      ['by org', { orgId: orgB }, (d) => d.orgId === orgB],
      ['by user', { userId: users[3] }, (d) => d.userId === users[3]],
      ['by time range [from, to)', { from, to }, inRange],
      [
        'by ids (delivery event ids among them are ignored)',
        { ids: [...idSample, small.delivery[0]._id, small.delivery[4]._id].sort() },
        (d) => idSample.includes(d._id),
      ],
      [
        'by org, type and time together',
        { orgId: orgA, types: ['MfaVerificationSucceeded'], from, to },
        (d) => d.orgId === orgA && d.type === 'MfaVerificationSucceeded' && inRange(d),
      ],
    ];

    it.each(cases)('%s', async (_name, selection, predicate) => {
      const expected = replayOrder(smallSorted.filter(predicate));
      expect(expected.length).toBeGreaterThan(5);
      expect(expected.length).toBeLessThan(SMALL_TOTAL / 4);
      const plan = await smallReplayer.plan(request({ selection, batchSize: 7 }));
      expect(plan.remaining).toBe(expected.length);
      const publisher = new CapturingPublisher();
      const outcome = await smallReplayer.run(plan, publisher);
      expect(outcome.published).toBe(expected.length);
      expect(publisher.ids()).toEqual(expected.map((d) => d._id));
      expect(publisher.records.every((r) => r.headers.ce_replay === 'true' && r.topic === smallById.get(r.headers.ce_id)!.topic)).toBe(true);
      expect(publisher.records.map((r) => r.timestamp)).toEqual(expected.map((d) => d.time.getTime()));
    });

    it('the whole log, read by _id alone in pages of 70: every replayable event once, in replay order, no delivery event', async () => {
      const expected = replayOrder(small.replayable);
      const plan = await smallReplayer.plan(request({ selection: {}, batchSize: 7 }));
      expect(plan.remaining).toBe(expected.length);
      const publisher = new CapturingPublisher();
      const outcome = await smallReplayer.run(plan, publisher);
      expect(outcome.published).toBe(expected.length);
      expect(publisher.ids()).toEqual(expected.map((d) => d._id));
      expect(publisher.records.map((r) => r.timestamp)).toEqual(expected.map((d) => d.time.getTime()));
    });

    it('the whole log where whole pages are delivery events (dropped by the reader): the reading goes on past them', async () => {
      const gapDb = mongo.db(`${dbName}_gap`);
      try {
        const key = users[7];
        const at = (i: number, type: EventType, sequence: number, flag = true) => {
          const doc = logDoc({
            type,
            topic: type === 'MagicLinkRequested' ? Topics.delivery : Topics.userMfa,
            key,
            aggregate: 'user',
            sequence,
            time: new Date(T0 + i * 1000),
            orgId: orgA,
            userId: key,
            data: { userId: key, n: i },
            replayable: type !== 'MagicLinkRequested',
          });
          if (!flag) delete (doc as Partial<EventLogDocument>).replayable;
          return doc;
        };
        // 3 events, 200 delivery events (a third of them without the flag), 3 events: with pages of
        // 70, two pages hold nothing to send.
        const before = [0, 1, 2].map((i) => at(i, 'MfaVerificationSucceeded', i + 1));
        const gap = Array.from({ length: 200 }, (_, i) => at(10 + i, 'MagicLinkRequested', 100 + i, i % 3 !== 0));
        const after = [0, 1, 2].map((i) => at(300 + i, 'MfaVerificationFailed', i + 4));
        await seedLog(gapDb, [...before, ...gap, ...after]);
        const publisher = new CapturingPublisher();
        const gapReplayer = new Replayer(gapDb, { source: SOURCE, pageSize: 70 });
        const outcome = await gapReplayer.run(await gapReplayer.plan(request({ selection: {}, batchSize: 2 })), publisher);
        expect(outcome.status).toBe('completed');
        expect(publisher.ids()).toEqual([...before, ...after].map((d) => d._id));
      } finally {
        await gapDb.dropDatabase().catch(() => undefined);
      }
    });

    it('refuses a job another live process holds; takes over one whose holder died (expired claim)', async () => {
      const selection: ReplaySelection = { userId: users[5] };
      const name = uniqueName('held');
      const jobs = smallDb.collection<ReplayJobDocument>(REPLAY_JOBS_COLLECTION);
      const now = Date.now();
      await jobs.insertOne({
        _id: name,
        selection,
        target: { topic: null },
        status: 'running',
        position: null,
        published: 0,
        byType: {},
        total: 0,
        runs: 1,
        owner: 'other-host:4242:abcd',
        leaseUntil: new Date(now + 60_000),
        startedAt: new Date(now),
        updatedAt: new Date(now),
        completedAt: null,
      });
      const plan = await smallReplayer.plan(request({ jobName: name, selection }));
      await expect(smallReplayer.run(plan, new CapturingPublisher())).rejects.toThrow(JobBusyError);
      await expect(smallReplayer.run(plan, new CapturingPublisher())).rejects.toThrow(/is being run by other-host:4242:abcd/);
      expect(await jobs.findOne({ _id: name })).toMatchObject({ status: 'running', owner: 'other-host:4242:abcd' });

      await jobs.updateOne({ _id: name }, { $set: { leaseUntil: new Date(Date.now() - 1000) } });
      const publisher = new CapturingPublisher();
      const outcome = await smallReplayer.run(plan, publisher);
      expect(outcome.status).toBe('completed');
      expect(publisher.ids()).toEqual(smallReplayed.filter((d) => d.userId === users[5]).map((d) => d._id));
      expect(await jobs.findOne({ _id: name })).toMatchObject({ status: 'completed', owner: null, runs: 2 });
    });
  });

  describe('per-key order when instance clocks differ (a later sequence with a smaller id), and checkpoints of older versions', () => {
    // Instance A's clock runs 1.9 s ahead of instance B's: org K's sequence 1 and 4 were committed on A,
    // 2 and 3 on B just after 1, so in id order K reads 2, 3, 1, 4. 400 events of other keys, 20 ms apart, around them.
    const T = Date.UTC(2025, 5, 1);
    const skewKey = `org-skew-${run}`;
    // Ids made with the given clock (uuidv7() of this process stays monotonic, as one instance's ids do).
    const uuidAt = (ms: number) => {
      const t = ms.toString(16).padStart(12, '0');
      const r = randomBytes(10).toString('hex');
      return `${t.slice(0, 8)}-${t.slice(8)}-7${r.slice(0, 3)}-${(8 | (parseInt(r[3], 16) & 3)).toString(16)}${r.slice(4, 7)}-${r.slice(7, 19)}`;
    };
    const at = (ms: number, key: string, sequence: number): EventLogDocument => {
      const id = uuidAt(T + ms);
      return {
        ...logDoc({
          type: 'OrgMfaEnforced',
          topic: Topics.orgPolicy,
          key,
          aggregate: 'org',
          sequence,
          time: new Date(T + ms),
          orgId: key,
          userId: null,
          data: { orgId: key, n: ms },
          replayable: true,
        }),
        _id: id,
        id,
      };
    };
    const skewed = [at(2000, skewKey, 1), at(100, skewKey, 2), at(150, skewKey, 3), at(2400, skewKey, 4)];
    const fillerSequences = new Map<string, number>();
    const filler = Array.from({ length: 400 }, (_, i) => {
      const key = `org-f${i % 7}-${run}`;
      fillerSequences.set(key, (fillerSequences.get(key) ?? 0) + 1);
      return at(10 + i * 20, key, fillerSequences.get(key)!);
    });
    const all = [...skewed, ...filler];
    const expected = replayOrder(all);
    let skewDb: Db;
    const keySequences = (ids: string[]) => {
      const docs = new Map(all.map((d) => [d._id, d]));
      return ids
        .map((id) => docs.get(id)!)
        .filter((d) => d.key === skewKey)
        .map((d) => d.sequence);
    };
    beforeAll(async () => {
      skewDb = mongo.db(`${dbName}_skew`);
      await seedLog(skewDb, all);
    });
    afterAll(async () => {
      await skewDb?.dropDatabase().catch(() => undefined);
    });

    it('holds a later sequence back across pages until the earlier one (larger id) is sent; an interrupted run resumes with it held back', async () => {
      expect(skewed[1]._id < skewed[0]._id).toBe(true);
      expect(expected.filter((d) => d.key === skewKey).map((d) => d.sequence)).toEqual([1, 2, 3, 4]);
      const replayer2 = new Replayer(skewDb, { source: SOURCE, pageSize: 10, clockSkewMs: 2500 });
      const base = request({ batchSize: 3 });

      // Interrupted while K's sequences 2 and 3 are read and processed but wait for sequence 1.
      const controller = new AbortController();
      const first = new CapturingPublisher();
      const interrupting: EventPublisher = {
        send: async (records) => {
          if (records.some((r) => Date.parse(r.headers.ce_time) > T + 800 && Date.parse(r.headers.ce_time) < T + 1500)) controller.abort();
          await first.send(records);
        },
      };
      const one = await replayer2.run(await replayer2.plan(base), interrupting, { signal: controller.signal });
      expect(one.status).toBe('interrupted');
      expect(keySequences(first.ids())).toEqual([]);
      const { cursor, published } = (await skewDb.collection<ReplayJobDocument>(REPLAY_JOBS_COLLECTION).findOne({ _id: base.jobName }))!;
      expect(published).toBe(first.records.length);
      expect(cursor!.behind).toEqual(expect.arrayContaining([skewed[1]._id, skewed[2]._id]));
      expect(cursor!.after! > skewed[2]._id && cursor!.after! < skewed[0]._id).toBe(true);

      const plan = await replayer2.plan(base);
      expect(plan).toMatchObject({ resuming: true, alreadyPublished: published, remaining: all.length - published });
      const second = new CapturingPublisher();
      const two = await replayer2.run(plan, second);
      expect(two).toMatchObject({ status: 'completed', job: { published: all.length, total: all.length, runs: 2 } });
      // Exactly the order of an uninterrupted run: every event once, K in sequence order.
      expect([...first.ids(), ...second.ids()]).toEqual(expected.map((d) => d._id));
      expect(keySequences([...first.ids(), ...second.ids()])).toEqual([1, 2, 3, 4]);
      for (const key of fillerSequences.keys()) {
        const sequences = [...first.records, ...second.records].filter((r) => r.key === key).map((r) => Number(r.headers.ce_sequence));
        expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
      }
    });

    it('a skew beyond the window fails the run before anything of that key goes out of order; the job keeps its checkpoint', async () => {
      const narrow = new Replayer(skewDb, { source: SOURCE, pageSize: 10, clockSkewMs: 1000 });
      const base = request({ batchSize: 3 });
      const publisher = new CapturingPublisher();
      await expect(narrow.run(await narrow.plan(base), publisher)).rejects.toThrow(ReplayDataError);
      const job = (await skewDb.collection<ReplayJobDocument>(REPLAY_JOBS_COLLECTION).findOne({ _id: base.jobName }))!;
      expect(job.status).toBe('interrupted');
      expect(job.lastError).toContain(`event ${skewed[0]._id} (key ${skewKey}, sequence 1) has an id more than 1000 ms newer than sequence`);
      // Sequence 1 was never sent after a later one; nothing was sent twice.
      expect(keySequences(publisher.ids())).not.toContain(1);
      expect(new Set(publisher.ids()).size).toBe(publisher.records.length);
      expect(job.published).toBeLessThanOrEqual(publisher.records.length);
    });

    it('a job checkpointed by an older version (position in time order) resumes after that position', async () => {
      const legacyOrder = [...all].sort(order);
      const done = 150;
      const last = legacyOrder[done - 1];
      const name = uniqueName('legacy');
      const now = new Date();
      const legacy = {
        _id: name,
        selection: {},
        target: { topic: null },
        status: 'interrupted',
        position: { time: last.time, sequence: last.sequence, id: last._id },
        published: done,
        byType: { OrgMfaEnforced: done },
        total: all.length,
        runs: 1,
        owner: null,
        leaseUntil: null,
        startedAt: now,
        updatedAt: now,
        completedAt: null,
      };
      await skewDb.collection(REPLAY_JOBS_COLLECTION).insertOne(legacy as unknown as Document);
      const replayer2 = new Replayer(skewDb, { source: SOURCE, pageSize: 10, clockSkewMs: 2500 });
      const plan = await replayer2.plan(request({ jobName: name, batchSize: 3 }));
      expect(plan).toMatchObject({ resuming: true, alreadyPublished: done, remaining: all.length - done });
      const publisher = new CapturingPublisher();
      const outcome = await replayer2.run(plan, publisher);
      expect(outcome).toMatchObject({ status: 'completed', published: all.length - done, job: { published: all.length, total: all.length, runs: 2 } });
      expect(publisher.ids()).toEqual(replayOrder(legacyOrder.slice(done)).map((d) => d._id));
      const job = (await skewDb.collection<ReplayJobDocument>(REPLAY_JOBS_COLLECTION).findOne({ _id: name }))!;
      expect(job).toMatchObject({ status: 'completed', published: all.length, position: legacy.position, byType: { OrgMfaEnforced: all.length } });
    });
  });

  it('resumes an interrupted and a crashed job from its checkpoint: every event at least once, duplicates only from the unacknowledged batch', async () => {
    const target = topic('resume');
    const collector = await KafkaCollector.start(infra.kafkaBrokers, [target], { fromBeginning: true });
    try {
      const base = request({ target: { topic: target }, batchSize: 500 });

      // Run 1: interrupted (SIGINT in the CLI) during the third batch: stops once it is acknowledged.
      const controller = new AbortController();
      let batches = 0;
      const interrupting: EventPublisher = {
        send: async (records) => {
          if (++batches === 3) controller.abort();
          await kafka.send(records);
        },
      };
      const first = await replayer.run(await replayer.plan(base), interrupting, { signal: controller.signal });
      expect(first).toMatchObject({ status: 'interrupted', published: 1500 });
      expect(await jobDoc(base.jobName)).toMatchObject({ status: 'interrupted', published: 1500, total: TOTAL, owner: null });
      // The checkpoint: every event up to `after` was published except those it names (held back or cut off), and nothing else.
      const { cursor } = (await jobDoc(base.jobName))!;
      const carried = new Set([...cursor!.behind, ...cursor!.unsent]);
      const covered = replayable.filter((d) => d._id <= cursor!.after! && !carried.has(d._id)).map((d) => d._id);
      expect(covered.sort()).toEqual(
        replayed
          .slice(0, 1500)
          .map((d) => d._id)
          .sort(),
      );
      expect([...carried].every((id) => id <= cursor!.after! && !covered.includes(id))).toBe(true);

      // Run 2: crashes after Kafka acknowledged its second batch but before the checkpoint.
      const unacknowledged: string[] = [];
      let sends = 0;
      const crashing: EventPublisher = {
        send: async (records) => {
          await kafka.send(records);
          if (++sends === 2) {
            unacknowledged.push(...records.map((r) => r.headers.ce_id));
            throw new Error('simulated crash after send');
          }
        },
      };
      const resumedPlan = await replayer.plan(base);
      expect(resumedPlan).toMatchObject({ resuming: true, alreadyPublished: 1500, remaining: TOTAL - 1500 });
      await expect(replayer.run(resumedPlan, crashing)).rejects.toThrow('simulated crash after send');
      expect(await jobDoc(base.jobName)).toMatchObject({ status: 'interrupted', published: 2000, lastError: 'simulated crash after send' });

      // A different selection under the same name is refused unless restarting.
      await expect(replayer.plan({ ...base, selection: { orgId: orgA } })).rejects.toThrow(UsageError);
      await expect(replayer.plan({ ...base, target: { topic: null } })).rejects.toThrow(/different selection or target/);

      // Run 3: completes.
      const last = await replayer.run(await replayer.plan(base), kafka);
      expect(last).toMatchObject({ status: 'completed', published: TOTAL - 2000, job: { published: TOTAL, total: TOTAL, runs: 3 } });
      expect(await jobDoc(base.jobName)).toMatchObject({ status: 'completed', published: TOTAL, total: TOTAL, runs: 3 });
      expect((await jobDoc(base.jobName))!.lastError).toBeUndefined();
      expect((await replayer.plan(base)).alreadyCompleted).toBe(true);

      const expectedRecords = TOTAL + unacknowledged.length;
      await collector.waitFor((events) => events.length >= expectedRecords, 30_000, `${expectedRecords} records`);
      await new Promise((resolve) => setTimeout(resolve, 500)); // nothing more may arrive
      const ids = collector.records.map((r) => r.event!.id);
      expect(new Set(ids)).toEqual(new Set(byId.keys()));
      expect(ids).toHaveLength(expectedRecords);
      const seen = new Set<string>();
      const duplicates = ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
      expect(duplicates.sort()).toEqual([...unacknowledged].sort());
      expect(unacknowledged).toEqual(replayed.slice(2000, 2500).map((d) => d._id));
    } finally {
      await collector.stop();
    }
    // Three runs and three counting plans, each a scan of the 10,000-event log on FerretDB: slow on a shared machine.
  }, 180_000);

  it('the built CLI: creates a fresh target topic with retention.ms=-1 and warns when an existing one would delete old replayed records', async () => {
    assertCliBuilt();
    const env = { MONGO_URL: infra.mongoUrl, MONGO_DB_NAME: dbName, KAFKA_BROKERS: infra.kafkaBrokers, KAFKA_CLIENT_ID: uniqueName('ops'), LOG_LEVEL: 'warn' };
    const ids = sorted.slice(0, 3).map((d) => d._id);
    const admin = new Kafka({ clientId: uniqueName('replay-retention'), brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const retentionOf = async (name: string) => {
        const { resources } = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms'] }],
        });
        return resources[0].configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
      };

      const fresh = topic('fresh');
      const created = await runCli(['replay', '--ids', ids.join(','), '--to-topic', fresh], env);
      expect(created.code).toBe(0);
      expect(created.stderr).toContain(`created topic ${fresh} (`);
      expect(created.stderr).toContain('retention.ms=-1');
      expect(created.stderr).not.toContain('warning:');
      expect(await retentionOf(fresh)).toBe('-1');

      const weekly = topic('weekly');
      await admin.createTopics({
        topics: [{ topic: weekly, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(7 * 86_400_000) }] }],
        waitForLeaders: true,
      });
      const warned = await runCli(['replay', '--ids', ids.join(','), '--to-topic', weekly], env);
      expect(warned.code).toBe(0);
      expect(warned.stderr).not.toContain('created topic');
      expect(warned.stderr).toContain(
        `warning: ${weekly} has retention.ms=${7 * 86_400_000} (7 days) but the oldest event going there is from ${sorted[0].time.toISOString()}`,
      );
      expect(await retentionOf(weekly)).toBe(String(7 * 86_400_000)); // an existing topic is never reconfigured
    } finally {
      await admin.disconnect();
    }
  });

  it('the built CLI: SIGINT stops after a checkpointed batch (exit 130), the same command with --job resumes and completes', async () => {
    assertCliBuilt();
    const usage = await runCli(['replay', '--type', 'MagicLinkRequested'], {});
    expect(usage).toMatchObject({ code: 2, stdout: '' });
    expect(usage.stderr).toContain('MagicLinkRequested is a delivery event and is never replayed');

    const target = topic('cli');
    const job = uniqueName('cli-job');
    const env = { MONGO_URL: infra.mongoUrl, MONGO_DB_NAME: dbName, KAFKA_BROKERS: infra.kafkaBrokers, KAFKA_CLIENT_ID: uniqueName('ops'), LOG_LEVEL: 'warn' };
    const args = ['replay', '--all', '--to-topic', target, '--batch-size', '100', '--job', job];
    const collector = await KafkaCollector.start(infra.kafkaBrokers, [target], { fromBeginning: true });
    try {
      const interrupted = await runCli(args, env, (child) => {
        // One SIGINT only, and one poll at a time: a slow read must not let two polls both see the checkpoint
        // and send a second SIGINT, which means "exit at once" to the CLI.
        let done = false;
        const poll = async (): Promise<void> => {
          if (done) return;
          const doc = await jobDoc(job);
          if (done) return;
          if (doc && doc.published >= 200) {
            done = true;
            child.kill('SIGINT');
            return;
          }
          setTimeout(() => void poll(), 20);
        };
        child.on('close', () => (done = true));
        void poll();
      });
      expect(interrupted.stderr).toContain(`job ${job}: replaying the whole event log to ${target}`);
      expect(interrupted.stderr).toContain('SIGINT: stopping after the current batch');
      expect(interrupted.stderr).toContain(`resume with: npm run ops -- replay --all --to-topic ${target} --batch-size 100 --job ${job}`);
      expect(interrupted.code).toBe(130);
      const checkpoint = (await jobDoc(job))!;
      expect(checkpoint.status).toBe('interrupted');
      expect(checkpoint.published).toBeGreaterThan(0);
      expect(checkpoint.published).toBeLessThan(TOTAL);
      expect(checkpoint.published % 100).toBe(0);

      const resumed = await runCli(args, env);
      expect(resumed.stderr).toContain(`job ${job}: resuming after ${checkpoint.published} published events (the whole event log) to ${target}`);
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(
        new RegExp(
          `^replayed ${TOTAL - checkpoint.published} events \\((\\w+ \\d+(, )?)+\\) to ${target} in \\d+\\.\\ds \\(\\d+ events/s\\)\\njob ${job} completed: ${TOTAL} events in 2 runs\\n$`,
        ),
      );
      expect(await jobDoc(job)).toMatchObject({ status: 'completed', published: TOTAL, total: TOTAL, runs: 2 });

      await collector.waitFor((events) => events.length >= TOTAL, 30_000, `${TOTAL} records`);
      const ids = collector.records.map((r) => r.event!.id);
      expect(new Set(ids)).toEqual(new Set(byId.keys()));
      // A clean stop checkpoints what it sent: nothing is sent twice.
      expect(ids).toHaveLength(TOTAL);
    } finally {
      await collector.stop();
    }
  });
});

// Keeps the catalogue import honest: the test's delivery type is the catalogue's non-replayable one.
if (EVENT_CATALOGUE.MagicLinkRequested.replayable) throw new Error('MagicLinkRequested must be non-replayable');
