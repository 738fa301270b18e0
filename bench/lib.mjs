// Shared helpers for the benchmarks: real infrastructure, the built service as a child
// process, signed tokens, autocannon runs and small statistics. Plain Node (no build step).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, createSecretKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ISSUER = 'https://identity.bench';
export const AUDIENCE = 'mfa-service';
export const SECRET = randomBytes(32).toString('hex');

/** MONGO_URL / KAFKA_BROKERS from the environment, else the local processes of scripts/infra.sh (state in MFA_INFRA_DIR, default .infra). */
export function infrastructure() {
  if (process.env.MONGO_URL && process.env.KAFKA_BROKERS) {
    return { mongoUrl: process.env.MONGO_URL, kafkaBrokers: process.env.KAFKA_BROKERS };
  }
  execFileSync('bash', [path.join(ROOT, 'scripts/infra.sh'), 'start'], { stdio: 'inherit' });
  const env = Object.fromEntries(
    readFileSync(path.join(process.env.MFA_INFRA_DIR ?? path.join(ROOT, '.infra'), 'env'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(/=(.*)/s).slice(0, 2)),
  );
  return { mongoUrl: env.MONGO_URL, kafkaBrokers: env.KAFKA_BROKERS };
}

export function serviceEnv(infra, extra = {}) {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    MONGO_URL: infra.mongoUrl,
    MONGO_DB_NAME: `mfa_bench_${Date.now().toString(36)}`,
    KAFKA_BROKERS: infra.kafkaBrokers,
    AUTH_JWT_SECRET: SECRET,
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: AUDIENCE,
    MFA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // Throughput, not the outage bound (3 s by default): a saturated FerretDB would answer 503s
    // instead of the figure (the test harness gives suites not about time limits 30 s the same way).
    MONGO_OPERATION_TIMEOUT_MS: '30000',
    ...extra,
  };
}

/** Starts dist/apps/mfa-service (build first: npm run build); resolves with its URL and pid. */
export async function startService(env, nodeArgs = []) {
  // BENCH_DIST: another build of the service (e.g. the previous commit's) for before/after comparisons.
  const dist = process.env.BENCH_DIST ?? path.join(ROOT, 'dist');
  const child = spawn(process.execPath, [...nodeArgs, path.join(dist, 'apps/mfa-service/src/main.js')], {
    env: { ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${output.slice(-2000)}`)), 60_000);
    child.stdout.on('data', () => {
      const match = /mfa-service listening on (http:\/\/[^"\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`service exited ${code}:\n${output.slice(-2000)}`)));
  });
  return {
    url,
    pid: child.pid,
    rssMb: () => Number(readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024,
    /** SIGTERM, then drop the run's database (the server is shared with other suites). */
    stop: async () => {
      await new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      });
      if (env.MONGO_DB_NAME?.startsWith('mfa_bench_') && !process.env.BENCH_KEEP_DB) {
        const { MongoClient } = await import('mongodb');
        const mongo = await MongoClient.connect(env.MONGO_URL).catch(() => null);
        await mongo
          ?.db(env.MONGO_DB_NAME)
          .dropDatabase()
          .catch(() => undefined);
        await mongo?.close();
      }
    },
  };
}

/**
 * Claims of an admin whose session has just passed a second factor (amr otp, auth_time now): with
 * `seedAdminMfa` such an admin may also lower security (lift enforcement), which the toggles do.
 */
export const adminClaims = (sub, orgId) => ({ sub, orgId, orgRole: 255, amr: ['pwd', 'otp'], auth_time: Math.floor(Date.now() / 1000) });

/** Gives each admin an enabled authenticator app straight in the database (trust model: admins lowering security have MFA). */
export async function seedAdminMfa(db, userIds) {
  const now = new Date();
  const enabled = { status: 'enabled', configuredAt: now, enabledAt: now };
  for (let i = 0; i < userIds.length; i += 500) {
    await db.collection('user_mfa').bulkWrite(
      userIds.slice(i, i + 500).map((_id) => ({
        updateOne: {
          filter: { _id },
          update: { $set: { enabledMethods: ['GOOGLE_AUTH'], primaryMethod: 'GOOGLE_AUTH', 'methods.GOOGLE_AUTH': enabled }, $max: { version: 1 } },
          upsert: true,
        },
      })),
      { ordered: false },
    );
  }
}

export async function token(claims) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(createSecretKey(Buffer.from(SECRET, 'utf8')));
}

/** One autocannon run; returns throughput and latency percentiles (ms). */
export async function load(options) {
  const opts = { duration: Number(process.env.BENCH_DURATION ?? 3), ...options };
  if (opts.amount) delete opts.duration;
  const result = await autocannon(opts);
  return {
    // With a fixed `amount` the run lasts until every request answered: completed ÷ elapsed.
    rps: options.amount ? result.requests.total / result.duration : result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + (result.non2xx ?? 0),
  };
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Median and range of a figure over runs, e.g. "1234 (1100–1300)". */
export function summary(values, digits = 0) {
  const fmt = (v) => v.toFixed(digits);
  return `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
}

export function machine() {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
}

/** CPU, cores, RAM, and the versions of Node, Kafka and the database. */
export async function environment(infra) {
  const { MongoClient } = await import('mongodb');
  let database = 'unknown';
  const mongo = await MongoClient.connect(infra.mongoUrl, { serverSelectionTimeoutMS: 5000 });
  try {
    const info = await mongo.db('admin').command({ buildInfo: 1 });
    // The local launcher is built from the module proxy without version stamping: take it from its go.mod.
    const fromGoMod = /github\.com\/FerretDB\/FerretDB v([\d.]+)/.exec(readFileSync(path.join(ROOT, 'infra/ferretdb/go.mod'), 'utf8'))?.[1];
    const ferret =
      info.ferretdbVersion && info.ferretdbVersion !== 'unknown' ? info.ferretdbVersion : fromGoMod ? `v${fromGoMod} (infra/ferretdb/go.mod)` : 'unknown';
    database = 'ferretdbVersion' in info ? `FerretDB ${ferret}, reports MongoDB ${info.version}` : `MongoDB ${info.version}`;
  } finally {
    await mongo.close();
  }
  let kafka = 'unknown';
  try {
    const pom = readFileSync(path.join(ROOT, 'infra/kafka/pom.xml'), 'utf8');
    const version = /<kafka\.version>([^<]+)</.exec(pom)?.[1] ?? /<artifactId>kafka_[^<]+<\/artifactId>\s*<version>([^<]+)</.exec(pom)?.[1];
    kafka = `Apache Kafka ${version ?? '?'} (KRaft, single node, infra/kafka/pom.xml) at ${infra.kafkaBrokers}`;
  } catch {
    /* no pom: leave unknown */
  }
  return {
    cpu: `${os.cpus()[0]?.model ?? 'cpu'}`,
    cores: os.cpus().length,
    ramGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    kafka,
    database,
    os: `${os.type()} ${os.release()}`,
  };
}

/** Peak RSS of a process, sampled every `everyMs` until stop() is called. */
export function rssSampler(rssMb, everyMs = 100) {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb());
    } catch {
      /* process gone */
    }
  }, everyMs);
  return { stop: () => (clearInterval(timer), peak), peak: () => peak };
}

/** A horizontal ASCII bar chart: rows of [label, value]. */
export function barChart(rows, { width = 40, unit = '' } = {}) {
  const max = Math.max(...rows.map(([, v]) => v), 1);
  const labelWidth = Math.max(...rows.map(([l]) => String(l).length));
  return rows
    .map(
      ([label, value]) =>
        `${String(label).padEnd(labelWidth)} |${'█'.repeat(Math.max(0, Math.round((value / max) * width))).padEnd(width)}| ${value.toFixed(value < 10 ? 1 : 0)}${unit}`,
    )
    .join('\n');
}

/** Runs `work` with an idempotent kafkajs producer (acks=all) and a fresh 3-partition topic, deleted afterwards. */
export async function withRawProducer(brokers, work) {
  const { Kafka, logLevel } = await import('kafkajs');
  const { randomUUID } = await import('node:crypto');
  const kafka = new Kafka({ clientId: 'bench-raw', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const topic = `bench.raw.${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    return await work(producer, topic);
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** Sends `count` records of `value` in batches of `batch`, each with its own `ce_id` header. */
export async function sendRaw(producer, topic, { count, batch = 500, value, key = (i) => `k-${i % 1000}`, headers = {} }) {
  const { randomUUID } = await import('node:crypto');
  for (let i = 0; i < count; i += batch) {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: Math.min(batch, count - i) }, (_, j) => ({ key: key(i + j), value, headers: { ...headers, ce_id: randomUUID() } })),
    });
  }
}

/** A raw kafkajs producer baseline: sends `count` records in batches; returns records/s. */
export async function rawProducerRate(brokers, options) {
  return withRawProducer(brokers, async (producer, topic) => {
    const started = Date.now();
    await sendRaw(producer, topic, options);
    return options.count / ((Date.now() - started) / 1000);
  });
}

/** "skipped" result for a figure whose feature is not there yet. */
export const notAvailable = (why) => ({ skipped: true, why });

/**
 * autocannon `requests` for POST /mfa/organization/enforce that walk the orgs round-robin, each
 * request by that org's admin and flipping its enforcement: every request is a real change.
 * The state lives in the returned closure, so consecutive runs keep toggling where they left off.
 */
export function enforceToggles(tokens) {
  const enforced = new Array(tokens.length).fill(false);
  let next = 0;
  return [
    {
      setupRequest: (request) => {
        const org = next++ % tokens.length;
        enforced[org] = !enforced[org];
        return { ...request, headers: { ...request.headers, authorization: `Bearer ${tokens[org]}` }, body: JSON.stringify({ enforced: enforced[org] }) };
      },
    },
  ];
}
