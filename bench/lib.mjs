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

/** MONGO_URL / KAFKA_BROKERS from the environment, else the local processes of scripts/infra.sh. */
export function infrastructure() {
  if (process.env.MONGO_URL && process.env.KAFKA_BROKERS) {
    return { mongoUrl: process.env.MONGO_URL, kafkaBrokers: process.env.KAFKA_BROKERS };
  }
  execFileSync('bash', [path.join(ROOT, 'scripts/infra.sh'), 'start'], { stdio: 'inherit' });
  const env = Object.fromEntries(
    readFileSync(path.join(ROOT, '.infra/env'), 'utf8')
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
    ...extra,
  };
}

/** Starts dist/apps/mfa-service (build first: npm run build); resolves with its URL and pid. */
export async function startService(env) {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps/mfa-service/src/main.js')], {
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
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
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
  const result = await autocannon({ duration: 5, ...options });
  return {
    rps: result.requests.average,
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
