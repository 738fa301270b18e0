// Benchmark 3 and 7: time from the HTTP response of a command to the record arriving at a
// kafkajs consumer, over many samples, at several concurrency levels.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { adminClaims, infrastructure, percentile, seedAdminMfa, serviceEnv, startService, summary, token } from './lib.mjs';

// 2,000 samples at the main level (50), split over the runs; the curve's other levels take fewer.
const SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 2000);
const CURVE_SAMPLES = Number(process.env.BENCH_LATENCY_CURVE_SAMPLES ?? 300);
const MAIN_LEVEL = 50;
// Time cap per run so the whole suite stays under 10 minutes; the report shows the samples actually taken.
const MAX_RUN_MS = Number(process.env.BENCH_LATENCY_MAX_S ?? 25) * 1000;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LEVELS = (process.env.BENCH_CONNECTIONS ?? '10,50,200').split(',').map(Number);
const TOPIC = 'mfa.org-policy.v1';

async function collector(brokers) {
  const kafka = new Kafka({ clientId: `bench-${randomUUID()}`, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  if (!existing.has(TOPIC)) await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }], waitForLeaders: true });
  const ends = await admin.fetchTopicOffsets(TOPIC);
  await admin.disconnect();
  const arrivals = new Map();
  const consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, maxWaitTimeInMs: 20 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  await consumer.run({
    eachMessage: async ({ message }) => {
      arrivals.set(`${message.key}#${message.headers.ce_sequence}`, Date.now());
    },
  });
  for (const { partition, offset } of ends) consumer.seek({ topic: TOPIC, partition, offset });
  await joined;
  return { arrivals, stop: () => consumer.disconnect() };
}

async function measure(service, consumer, concurrency, samples) {
  const runId = randomUUID().slice(0, 8);
  const answered = new Map();
  let issued = 0;
  let refused = 0;
  const started = Date.now();
  const worker = async (w) => {
    // One org per worker: its events are strictly ordered, so (org, sequence) names each sample.
    const orgId = `lat-${runId}-${w}`;
    const auth = `Bearer ${await token(adminClaims(`admin-${w}`, orgId))}`;
    for (
      let sequence = 1;
      issued < samples && Date.now() - started < (samples < SAMPLES / 2 && concurrency !== MAIN_LEVEL ? MAX_RUN_MS * 0.6 : MAX_RUN_MS);
      sequence++
    ) {
      issued++;
      const res = await fetch(`${service.url}/mfa/organization/enforce`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: JSON.stringify({ enforced: sequence % 2 === 1 }),
      });
      await res.arrayBuffer();
      if (res.status !== 200) {
        // Overload answers 503 (fail fast); that command wrote nothing, so the org's next
        // event keeps this sequence number.
        refused++;
        sequence--;
        continue;
      }
      answered.set(`${orgId}#${sequence}`, Date.now());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsed = (Date.now() - started) / 1000;
  // Records still in the outbox after this long count as missing (the suite has a time budget).
  const deadline = Date.now() + Number(process.env.BENCH_LATENCY_DRAIN_S ?? 20) * 1000;
  while ([...answered.keys()].some((k) => !consumer.arrivals.has(k)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const latencies = [...answered].filter(([k]) => consumer.arrivals.has(k)).map(([k, at]) => Math.max(0, consumer.arrivals.get(k) - at));
  return { latencies, missing: answered.size - latencies.length, refused, commandsPerSecond: answered.size / elapsed };
}

export async function eventLatency() {
  const infra = infrastructure();
  const env = serviceEnv(infra);
  // Lifting enforcement lowers security: the admins have MFA and stepped-up sessions.
  const mongo = await MongoClient.connect(infra.mongoUrl);
  await seedAdminMfa(
    mongo.db(env.MONGO_DB_NAME),
    Array.from({ length: Math.max(...LEVELS) }, (_, w) => `admin-${w}`),
  );
  await mongo.close();
  const service = await startService(env);
  const consumer = await collector(infra.kafkaBrokers);
  const rows = [];
  try {
    for (const concurrency of LEVELS) {
      const runs = concurrency === MAIN_LEVEL ? RUNS : 1;
      const perRun = Math.ceil((concurrency === MAIN_LEVEL ? SAMPLES : CURVE_SAMPLES) / runs);
      const results = [];
      for (let run = 0; run < runs; run++) results.push(await measure(service, consumer, concurrency, perRun));
      const all = results.flatMap((r) => r.latencies);
      rows.push({
        connections: concurrency,
        runs,
        target: runs * perRun,
        samples: all.length,
        missing: results.reduce((n, r) => n + r.missing, 0),
        refused: results.reduce((n, r) => n + r.refused, 0),
        commandsPerSecond: summary(results.map((r) => r.commandsPerSecond)),
        p50: summary(results.map((r) => percentile(r.latencies, 50))),
        p99: summary(results.map((r) => percentile(r.latencies, 99))),
        pooledP50: percentile(all, 50),
        pooledP99: percentile(all, 99),
        max: Math.max(...all),
      });
      console.log(`event latency @${concurrency}:`, rows[rows.length - 1]);
    }
  } finally {
    await consumer.stop();
    await service.stop();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await eventLatency();
