// Benchmark 4: replaying stored events (mfa-ops replay) against a raw kafkajs producer
// sending the same records with the same settings, in the same run.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { infrastructure, ROOT, summary } from './lib.mjs';

const require = createRequire(import.meta.url);
const { uuidv7 } = require('../dist/libs/common/src/ids/uuid-v7.js');
const { encodeEvent } = require('../dist/libs/contracts/src/index.js');
const { toEnvelope } = require('../dist/libs/persistence/src/index.js');

const EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 100_000);
const BATCH = 500;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function seedEvents(count) {
  const base = Date.now() - count * 10;
  return Array.from({ length: count }, (_, i) => {
    const org = `replay-org-${i % 1000}`;
    const sequence = Math.floor(i / 1000) + 1;
    // Event ids are UUIDv7 of the commit time, as the service stamps them (the replay reads in id order).
    const id = uuidv7(base + i * 10);
    return {
      _id: id,
      id,
      type: 'OrgMfaEnforcementLifted',
      topic: 'mfa.org-policy.v1',
      key: org,
      aggregate: 'org',
      sequence,
      time: new Date(base + i * 10),
      schemaVersion: 1,
      orgId: org,
      userId: null,
      correlationId: 'bench',
      causationId: 'bench',
      actorId: 'bench',
      actorType: 'system',
      data: { orgId: org, liftedBy: 'bench' },
      replayable: true,
      publishedAt: new Date(),
    };
  });
}

/** `deadline` (epoch ms): no further run is started if the previous one suggests it would end after it. */
export async function replayThroughput({ deadline = Infinity } = {}) {
  const infra = infrastructure();
  const dbName = `mfa_bench_replay_${Date.now().toString(36)}`;
  const mongo = await MongoClient.connect(infra.mongoUrl);
  const events = seedEvents(EVENTS);
  const seedStarted = Date.now();
  for (let i = 0; i < events.length; i += 5000)
    await mongo
      .db(dbName)
      .collection('event_log')
      .insertMany(events.slice(i, i + 5000));
  console.log(`seeded ${EVENTS} events in ${((Date.now() - seedStarted) / 1000).toFixed(1)}s`);

  const kafka = new Kafka({ clientId: 'bench-raw', brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  // The records the replay sends for these events (key, value, all CloudEvents headers, timestamp),
  // encoded before any timing: the raw producer's baseline sends exactly these.
  const records = events.map(({ _id, publishedAt: _publishedAt, ...stored }) => {
    const { key, value, headers } = encodeEvent(toEnvelope({ ...stored, id: stored.id ?? _id }, 'mfa-service', true));
    return { key, value, headers, timestamp: String(stored.time.getTime()) };
  });
  const raw = [];
  const rawMinimal = [];
  const replay = [];
  const replayLoop = [];
  const cpuUsPerEvent = [];
  const rawCpuUsPerEvent = [];
  for (let run = 0; run < RUNS; run++) {
    const runStarted = Date.now();
    // Baseline: the raw producer sending the replay's own records (encoded beforehand), same batch
    // size, the CLI's producer settings (acks=all, idempotent, one request in flight, no compression).
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const rawTopic = `bench.raw.${randomUUID().slice(0, 8)}`;
    await admin.createTopics({ topics: [{ topic: rawTopic, numPartitions: 3 }], waitForLeaders: true });
    const rawStarted = Date.now();
    const rawCpu = process.cpuUsage();
    for (let i = 0; i < records.length; i += BATCH) {
      await producer.send({ topic: rawTopic, acks: -1, messages: records.slice(i, i + BATCH) });
    }
    raw.push(EVENTS / ((Date.now() - rawStarted) / 1000));
    const rawUsed = process.cpuUsage(rawCpu);
    rawCpuUsPerEvent.push((rawUsed.user + rawUsed.system) / EVENTS);
    // The baseline of earlier reports, for comparison only: smaller records (the data and five headers).
    const minimalStarted = Date.now();
    for (let i = 0; i < events.length; i += BATCH) {
      await producer.send({
        topic: rawTopic,
        acks: -1,
        messages: events.slice(i, i + BATCH).map((e) => ({
          key: e.key,
          value: JSON.stringify(e.data),
          headers: { ce_id: e.id, ce_type: e.type, ce_sequence: String(e.sequence), ce_time: e.time.toISOString(), ce_replay: 'true' },
        })),
      });
    }
    rawMinimal.push(EVENTS / ((Date.now() - minimalStarted) / 1000));
    await producer.disconnect();

    const replayTopic = `bench.replay.${randomUUID().slice(0, 8)}`;
    const replayStarted = Date.now();
    // Under bash so that `times` reports the CLI's own CPU time (user + system of the child).
    const cli = spawnSync(
      'bash',
      [
        '-c',
        '"$@"; code=$?; times >&2; exit $code',
        'replay',
        process.execPath,
        // BENCH_REPLAY_CPU_PROF=<dir>: a V8 CPU profile of the CLI per run (inspect it to see where its CPU goes).
        ...(process.env.BENCH_REPLAY_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_REPLAY_CPU_PROF] : []),
        // BENCH_REPLAY_CLI=<main.js>: another build of the CLI (a before/after pair in the same conditions).
        process.env.BENCH_REPLAY_CLI ?? path.join(ROOT, 'dist/apps/mfa-ops/src/main.js'),
        'replay',
        '--all',
        '--to-topic',
        replayTopic,
        '--batch-size',
        String(BATCH),
      ],
      {
        env: { ...process.env, MONGO_URL: infra.mongoUrl, MONGO_DB_NAME: dbName, KAFKA_BROKERS: infra.kafkaBrokers },
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    if (cli.status !== 0) throw new Error(`replay exited ${cli.status}: ${String(cli.stderr).slice(-500)}`);
    const output = String(cli.stdout);
    const childTimes = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(String(cli.stderr).trim());
    cpuUsPerEvent.push(
      childTimes ? ((Number(childTimes[1]) * 60 + Number(childTimes[2]) + Number(childTimes[3]) * 60 + Number(childTimes[4])) * 1e6) / EVENTS : NaN,
    );
    process.stdout.write(output);
    replay.push(EVENTS / ((Date.now() - replayStarted) / 1000));
    // The CLI's own figure: from its first query to the last acknowledged batch (no process start, no counting).
    const inside = /in ([\d.]+)s/.exec(output);
    replayLoop.push(inside ? EVENTS / Number(inside[1]) : NaN);
    await admin.deleteTopics({ topics: [rawTopic, replayTopic] }).catch(() => undefined);
    console.log(`replay run ${run + 1}: raw ${raw[run].toFixed(0)}/s, replay ${replay[run].toFixed(0)}/s (process start included)`);
    if (run + 1 < RUNS && Date.now() + (Date.now() - runStarted) > deadline) {
      console.log(`replay: stopping after ${run + 1} run(s) to stay within the suite's time budget`);
      break;
    }
  }
  await admin.disconnect();
  await mongo.db(dbName).dropDatabase();
  await mongo.close();
  const ratios = replay.map((r, i) => (r / raw[i]) * 100);
  const result = {
    events: EVENTS,
    runs: `${raw.length} of ${RUNS}${raw.length < RUNS ? ' (time budget)' : ''}`,
    rawPerSecond: summary(raw),
    rawMinimalRecordsPerSecond: summary(rawMinimal),
    replayPerSecond: summary(replay),
    replayLoopPerSecond: summary(replayLoop),
    ratio: `${summary(ratios)} %`,
    cliCpuUsPerEvent: summary(cpuUsPerEvent),
    rawProducerCpuUsPerEvent: summary(rawCpuUsPerEvent),
    ratioMedian: [...ratios].sort((x, y) => x - y)[Math.floor(ratios.length / 2)],
    goalMet: ratios.sort((x, y) => x - y)[Math.floor(ratios.length / 2)] >= 50,
  };
  console.log('replay throughput:', result);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) await replayThroughput();
