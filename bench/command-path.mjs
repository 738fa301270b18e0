// Benchmark 2: POST /mfa/organization/enforce toggling across 1,000 orgs (each request a real
// state change: load, decide, version-guarded write of state + outbox event, then the relay's
// publication). Baseline in the same run: the database's own ceiling for the same kind of write —
// a plain driver updateOne by _id ($set + $push) on a collection of the same size, same
// concurrency — because on FerretDB that, not the service, bounds commands per second.
import { createRequire } from 'node:module';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { adminClaims, enforceToggles, infrastructure, load, ROOT, seedAdminMfa, serviceEnv, startService, summary, token } from './lib.mjs';

const ORGS = Number(process.env.BENCH_ORGS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_COMMAND_CONNECTIONS ?? 50);
const DURATION = Number(process.env.BENCH_DURATION ?? 4);
// A fixed number of commands per run (not a duration): at a few commands per second with
// seconds of latency, a short fixed window would count almost none of them.
const PER_RUN = Number(process.env.BENCH_COMMANDS_PER_RUN ?? 100);

function methods() {
  try {
    return createRequire(import.meta.url)(path.join(ROOT, 'dist/apps/mfa-service/src/user-mfa/domain/mfa-method.js')).MFA_METHODS;
  } catch {
    return ['GOOGLE_AUTH', 'MAGIC_LINK', 'PASSKEY'];
  }
}

/** Existing, not enforced org policies (the shape of OrgPolicyDocument), so runs measure toggles, not creation. */
async function seedOrgs(db) {
  await db.collection('org_policies').insertMany(
    Array.from({ length: ORGS }, (_, i) => ({
      _id: `bench-org-${i}`,
      enforced: false,
      enforcedAt: null,
      enforcedBy: null,
      gracePeriodDays: 0,
      enforcementDeadline: null,
      allowedMethods: methods(),
      exemptions: [],
      version: 1,
      lastSequence: 0,
    })),
  );
}

async function rawWrites(db) {
  const col = db.collection('bench_raw_writes');
  await col.insertMany(Array.from({ length: ORGS }, (_, i) => ({ _id: `raw-${i}`, version: 1, enforced: false, outbox: [] })));
  let next = 0;
  let done = 0;
  const until = Date.now() + DURATION * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < until) {
        const i = next++ % ORGS;
        await col.updateOne(
          { _id: `raw-${i}` },
          { $set: { enforced: i % 2 === 0 }, $inc: { version: 1 }, $push: { outbox: { id: `e${next}`, sequence: next } } },
        );
        done++;
      }
    }),
  );
  await col.drop();
  return done / ((Date.now() - started) / 1000);
}

export async function commandPath() {
  const infra = infrastructure();
  const env = serviceEnv(infra);
  const mongo = await MongoClient.connect(infra.mongoUrl);
  const db = mongo.db(env.MONGO_DB_NAME);
  await seedOrgs(db);
  const service = await startService(env);
  await seedAdminMfa(
    db,
    Array.from({ length: ORGS }, (_, i) => `admin-${i}`),
  );
  const tokens = await Promise.all(Array.from({ length: ORGS }, (_, i) => token(adminClaims(`admin-${i}`, `bench-org-${i}`))));
  // Warm-up, not measured: every admin's first request registers his membership (two writes).
  let warm = 0;
  const warmStarted = Date.now();
  const warmResult = await load({
    url: `${service.url}/mfa/status`,
    connections: 20,
    amount: ORGS,
    requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${tokens[warm++ % ORGS]}` } }) }],
  });
  console.log(`command path: registered ${ORGS} admins in ${((Date.now() - warmStarted) / 1000).toFixed(1)}s (${warmResult.errors} errors)`);
  const toggles = enforceToggles(tokens);
  const results = [];
  const raw = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      results.push(
        await load({
          url: `${service.url}/mfa/organization/enforce`,
          connections: CONNECTIONS,
          amount: PER_RUN,
          timeout: 60,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          requests: toggles,
        }),
      );
      // Let the relay drain before the baseline so they do not share the write lock.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      raw.push(await rawWrites(db));
      console.log(`command path run ${run + 1}:`, results[results.length - 1], `raw writes/s ${raw[raw.length - 1].toFixed(0)}`);
    }
  } finally {
    await service.stop();
    await db.dropDatabase().catch(() => undefined);
    await mongo.close();
  }
  return {
    orgs: ORGS,
    connections: CONNECTIONS,
    commandsPerSecond: summary(results.map((r) => r.rps)),
    p50: summary(
      results.map((r) => r.p50),
      1,
    ),
    p99: summary(
      results.map((r) => r.p99),
      1,
    ),
    rawWritesPerSecond: summary(raw),
    commandsPerRawWrite: `${summary(results.map((r, i) => (r.rps / raw[i]) * 100))} %`,
    errors: results.reduce((n, r) => n + r.errors, 0),
    median: results.map((r) => r.rps).sort((a, b) => a - b)[Math.floor(results.length / 2)],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await commandPath());
