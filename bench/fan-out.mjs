// Benchmark 5: enforcing an org of 100,000 members until every UserMfaSetupRequired is on
// Kafka, against a raw kafkajs producer sending as many records of the same size in the same
// run; the service's peak RSS is sampled throughout. Members are bulk-inserted into the
// org_members read model (apps/mfa-service/src/membership/org-member.document.ts), none with MFA.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { infrastructure, notAvailable, rawProducerRate, rssSampler, serviceEnv, startService, summary, token } from './lib.mjs';
import { counters, cpuMs } from './op-costs.mjs';

const MEMBERS = Number(process.env.BENCH_FANOUT_MEMBERS ?? 100_000);
const RUNS = Number(process.env.BENCH_FANOUT_RUNS ?? process.env.BENCH_RUNS ?? 3);
// The whole suite must stay under 10 minutes: a run that has not finished by then is reported as such.
const RUN_TIMEOUT_MS = Number(process.env.BENCH_FANOUT_TIMEOUT_S ?? 60) * 1000;
// Nothing at all within the run's time limit after the enforcement answered: no rate to report.
const FIRST_EVENT_TIMEOUT_MS = RUN_TIMEOUT_MS;
const TOPIC = 'mfa.user-mfa.v1';
const TYPE = 'UserMfaSetupRequired';

async function seedMembers(db, orgId, count) {
  const now = new Date();
  for (let i = 0; i < count; i += 5000) {
    await db.collection('org_members').insertMany(
      Array.from({ length: Math.min(5000, count - i) }, (_, j) => {
        const userId = `${orgId}-u${String(i + j).padStart(6, '0')}`;
        return { _id: `${orgId}:${userId}`, orgId, userId, role: 0, source: 'event', joinedAt: now, lastSeenAt: now, membershipUpdatedAt: now };
      }),
      { ordered: false },
    );
  }
}

async function counter(brokers) {
  const kafka = new Kafka({ clientId: `bench-fanout-${randomUUID()}`, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  if (!(await admin.listTopics()).includes(TOPIC)) await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }], waitForLeaders: true });
  const ends = await admin.fetchTopicOffsets(TOPIC);
  await admin.disconnect();
  const seen = new Map(); // orgId → Set of userIds
  let sampleBytes = 0;
  const consumer = kafka.consumer({ groupId: `bench-fanout-${randomUUID()}`, maxWaitTimeInMs: 50, maxBytes: 10 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        if (String(message.headers?.ce_type ?? '') !== TYPE) continue;
        const data = JSON.parse(String(message.value));
        if (!seen.has(data.orgId)) seen.set(data.orgId, new Set());
        seen.get(data.orgId).add(data.userId);
        sampleBytes ||= message.value.length;
      }
    },
  });
  for (const { partition, offset } of ends) consumer.seek({ topic: TOPIC, partition, offset });
  await joined;
  return { count: (orgId) => seen.get(orgId)?.size ?? 0, sampleBytes: () => sampleBytes, stop: () => consumer.disconnect() };
}

async function rawWriteCeiling(mongoUrl, seconds = 4, concurrency = 10) {
  const mongo = await MongoClient.connect(mongoUrl);
  const col = mongo.db(`mfa_bench_ceiling_${Date.now().toString(36)}`).collection('user_mfa');
  const n = 10_000;
  for (let i = 0; i < n; i += 5000) await col.insertMany(Array.from({ length: 5000 }, (_, j) => ({ _id: `u-${i + j}`, version: 1, lastSequence: 0 })));
  let next = 0;
  let done = 0;
  const until = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const i = next++ % n;
        await col.updateOne(
          { _id: `u-${i}`, version: { $gte: 1 } },
          { $inc: { version: 1, lastSequence: 1 }, $push: { outbox: { id: `e-${i}`, sequence: 1 } } },
        );
        done++;
      }
    }),
  );
  const rate = done / ((Date.now() - started) / 1000);
  await col.db.dropDatabase().catch(() => undefined);
  await mongo.close();
  return rate;
}

export async function fanOut() {
  const infra = infrastructure();
  const env = serviceEnv(infra, {
    ...(process.env.MFA_ENFORCEMENT_PAGE_SIZE ? { MFA_ENFORCEMENT_PAGE_SIZE: process.env.MFA_ENFORCEMENT_PAGE_SIZE } : {}),
    // A fixed port when the machine is shared (each engineer has a range); any free port otherwise.
    ...(process.env.BENCH_SERVICE_PORT ? { PORT: process.env.BENCH_SERVICE_PORT } : {}),
  });
  const mongo = await MongoClient.connect(infra.mongoUrl);
  const db = mongo.db(env.MONGO_DB_NAME);
  const service = await startService(env);
  const events = await counter(infra.kafkaBrokers);
  const runs = [];
  let skipped = null;
  try {
    for (let run = 0; run < RUNS && !skipped; run++) {
      const orgId = `fan-${randomUUID().slice(0, 8)}`;
      const seedStarted = Date.now();
      await seedMembers(db, orgId, MEMBERS);
      console.log(`fan-out run ${run + 1}: seeded ${MEMBERS} members in ${((Date.now() - seedStarted) / 1000).toFixed(1)}s`);
      const auth = `Bearer ${await token({ sub: `${orgId}-admin`, orgId, orgRole: 255 })}`;
      const rssAtStartMb = service.rssMb();
      const rss = rssSampler(service.rssMb);
      const countersBefore = await counters(service.url);
      const cpuBefore = cpuMs(service.pid);
      const started = Date.now();
      const res = await fetch(`${service.url}/mfa/organization/enforce`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: JSON.stringify({ enforced: true, gracePeriodDays: 7 }),
      });
      if (res.status === 404) {
        skipped = notAvailable('POST /mfa/organization/enforce answered 404');
        rss.stop();
        break;
      }
      if (res.status !== 200) throw new Error(`enforce answered ${res.status}: ${await res.text()}`);
      let last = 0;
      let lastChange = Date.now();
      // The admin himself is a member too (registered from his token): MEMBERS or MEMBERS + 1 events.
      while (events.count(orgId) < MEMBERS && Date.now() - started < RUN_TIMEOUT_MS) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const now = events.count(orgId);
        if (now !== last) [last, lastChange] = [now, Date.now()];
        if (now === 0 && Date.now() - started > FIRST_EVENT_TIMEOUT_MS) break;
      }
      const seconds = ((events.count(orgId) >= MEMBERS ? lastChange : Date.now()) - started) / 1000;
      const peakRssMb = rss.stop();
      const delivered = events.count(orgId);
      const countersAfter = await counters(service.url);
      const cpuUsPerMember = delivered > 0 ? ((cpuMs(service.pid) - cpuBefore) * 1000) / delivered : NaN;
      let commandsSent = 0;
      let writesSent = 0;
      const byCommand = {};
      for (const [key, value] of countersAfter.commands) {
        const n = value - (countersBefore.commands.get(key) ?? 0);
        if (n > 0 && delivered > 0) byCommand[key] = Number((n / delivered).toFixed(3));
        commandsSent += n;
        if (/ (insert|update|delete|findAndModify)$/.test(key)) writesSent += n;
      }
      if (delivered === 0) {
        skipped = notAvailable(
          `enforcing an org of ${MEMBERS} members published no ${TYPE} within ${FIRST_EVENT_TIMEOUT_MS / 1000} s (BENCH_FANOUT_TIMEOUT_S) — the job's first member page and notices did not get through the database in that time`,
        );
        break;
      }
      runs.push({
        delivered,
        complete: delivered >= MEMBERS,
        seconds,
        perSecond: delivered / seconds,
        peakRssMb,
        cpuUsPerMember,
        commandsPerMember: commandsSent / delivered,
        writesPerMember: writesSent / delivered,
      });
      console.log(
        `fan-out run ${run + 1}:`,
        runs[runs.length - 1],
        'commands per member:',
        byCommand,
        `RSS before the enforcement: ${rssAtStartMb.toFixed(0)} MB`,
      );
      // An incomplete run already says the rate; more would only blow the suite's time budget.
      if (delivered < MEMBERS) break;
    }
  } finally {
    await events.stop();
    await service.stop();
    await mongo
      .db(env.MONGO_DB_NAME)
      .dropDatabase()
      .catch(() => undefined);
    await mongo.close();
  }
  if (skipped) return skipped;
  // The database's write ceiling for one write per member: raw updateOne by _id, same concurrency as
  // the notices' writer (10), on a collection of member-shaped user documents.
  const ceiling = [];
  for (let run = 0; run < runs.length; run++) ceiling.push(await rawWriteCeiling(infra.mongoUrl));
  // Baseline: the raw producer, same number of records, same value size, same batch size as the relay.
  const value = Buffer.alloc(events.sampleBytes() || 200, 'x');
  const raw = [];
  for (let run = 0; run < runs.length; run++) raw.push(await rawProducerRate(infra.kafkaBrokers, { count: Math.min(MEMBERS, 100_000), batch: 200, value }));
  const ratios = runs.map((r, i) => (r.perSecond / raw[i]) * 100);
  return {
    members: MEMBERS,
    complete: `${runs.filter((r) => r.complete).length}/${runs.length} runs delivered all${runs.some((r) => !r.complete) ? ` (a run stops after ${RUN_TIMEOUT_MS / 1000} s; later runs skipped)` : ''}`,
    delivered: summary(runs.map((r) => r.delivered)),
    seconds: summary(
      runs.map((r) => r.seconds),
      1,
    ),
    eventsPerSecond: summary(runs.map((r) => r.perSecond)),
    rawPerSecond: summary(raw),
    ratio: `${summary(ratios, 2)} %`,
    rawWritesPerSecond: summary(ceiling),
    ofWriteCeiling: `${summary(
      runs.map((r, i) => (r.perSecond / ceiling[i]) * 100),
      1,
    )} %`,
    cpuUsPerMember: summary(runs.map((r) => r.cpuUsPerMember)),
    dbCommandsPerMember: summary(
      runs.map((r) => r.commandsPerMember),
      2,
    ),
    dbWritesPerMember: summary(
      runs.map((r) => r.writesPerMember),
      2,
    ),
    peakRssMb: summary(runs.map((r) => r.peakRssMb)),
    maxPeakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    goalMet: ratios.every((r) => r >= 30) && runs.every((r) => r.complete && r.peakRssMb < 300),
    // Issue 16's budget: ≥ 50 % of the database's write ceiling, every member delivered, RSS < 300 MB.
    budgetMet: runs.every((r, i) => r.complete && r.peakRssMb < 300 && r.perSecond / ceiling[i] >= 0.5),
    ceilingRatioMedian: [...runs.map((r, i) => (r.perSecond / ceiling[i]) * 100)].sort((a, b) => a - b)[Math.floor(runs.length / 2)],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await fanOut());
