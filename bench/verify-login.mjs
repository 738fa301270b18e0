// Benchmark 6: TOTP verify-login throughput (distinct users, one valid code each) and the cost
// of the lockout bookkeeping: the same for wrong codes (each records a failure) and for users
// already locked out (5 failures → 423). Users are set up through the API (POST /mfa/setup +
// /mfa/verify-setup with otplib codes from the returned secret). Contract:
//   POST /mfa/verify-login {mfaType:'GOOGLE_AUTH', code} → 200 {data:{verified, method, mfaToken, expiresAt}},
//   wrong code → 400 VERIFICATION_FAILED, 5 failures → 423 LOCKED_OUT.
import { randomUUID } from 'node:crypto';
import otplib from 'otplib';
import { infrastructure, median, notAvailable, percentile, serviceEnv, startService, summary, token } from './lib.mjs';

const { authenticator } = otplib;
const USERS = Number(process.env.BENCH_VERIFY_USERS ?? 30); // per run (setting a user up costs ~0.5 s on FerretDB)
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_VERIFY_CONNECTIONS ?? 10);
const STEP = 30_000;

async function call(url, path, auth, body) {
  const started = performance.now();
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: auth },
    body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  return { status: res.status, json, ms: performance.now() - started };
}

/** Runs fn over items with `concurrency` in flight; returns the results and the elapsed seconds. */
async function pool(items, concurrency, fn) {
  const results = new Array(items.length);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return { results, seconds: (performance.now() - started) / 1000 };
}

async function seedUser(url, runId, i) {
  const userId = `vl-${runId}-${i}`;
  const auth = `Bearer ${await token({ sub: userId })}`;
  const setup = await call(url, '/mfa/setup', auth, { mfaType: 'GOOGLE_AUTH' });
  if (setup.status !== 200) throw new Error(`setup answered ${setup.status}: ${JSON.stringify(setup.json)}`);
  const secret = setup.json.data.secret;
  const verified = await call(url, '/mfa/verify-setup', auth, { mfaType: 'GOOGLE_AUTH', code: authenticator.generate(secret) });
  if (verified.status !== 200) throw new Error(`verify-setup answered ${verified.status}: ${JSON.stringify(verified.json)}`);
  return { userId, auth, secret, setupStep: Math.floor(Date.now() / STEP) };
}

const wrongCode = (secret) => String((Number(authenticator.generate(secret)) + 500_000) % 1_000_000).padStart(6, '0');

function figures(batch, expectStatus) {
  const ok = batch.results.filter((r) => r.status === expectStatus).length;
  return {
    perSecond: batch.results.length / batch.seconds,
    p50: percentile(
      batch.results.map((r) => r.ms),
      50,
    ),
    p99: percentile(
      batch.results.map((r) => r.ms),
      99,
    ),
    unexpected: batch.results.length - ok,
    statuses: [...new Set(batch.results.map((r) => r.status))].join('/'),
  };
}

export async function verifyLogin() {
  const infra = infrastructure();
  const service = await startService(serviceEnv(infra));
  try {
    const probe = await call(service.url, '/mfa/verify-login', `Bearer ${await token({ sub: `vl-probe-${randomUUID()}` })}`, {
      mfaType: 'GOOGLE_AUTH',
      code: '000000',
    });
    if (probe.status === 404) return notAvailable('POST /mfa/verify-login answered 404 (not built yet)');

    const runId = randomUUID().slice(0, 8);
    const seedStarted = Date.now();
    const sets = [];
    for (let s = 0; s < RUNS + 1; s++)
      sets.push(
        (
          await pool(
            Array.from({ length: USERS }, (_, i) => s * USERS + i),
            10,
            (i) => seedUser(service.url, runId, i),
          )
        ).results,
      );
    console.log(`verify-login: set up ${(RUNS + 1) * USERS} TOTP users in ${((Date.now() - seedStarted) / 1000).toFixed(1)}s`);
    // A code is single use per time step: never log in within the step of the user's verify-setup.
    const lastSetupStep = Math.max(...sets.flat().map((u) => u.setupStep));
    while (Math.floor(Date.now() / STEP) <= lastSetupStep) await new Promise((resolve) => setTimeout(resolve, 250));

    const valid = [];
    for (let run = 0; run < RUNS; run++) {
      const batch = await pool(sets[run], CONCURRENCY, (u) =>
        call(service.url, '/mfa/verify-login', u.auth, { mfaType: 'GOOGLE_AUTH', code: authenticator.generate(u.secret) }),
      );
      valid.push(figures(batch, 200));
      console.log(`verify-login valid run ${run + 1}:`, valid[valid.length - 1]);
    }
    // Lockout bookkeeping: wrong codes on the spare set (each records a failure), then lock them and measure 423s.
    const spare = sets[RUNS];
    const wrong = [];
    const locked = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      const batch = await pool(spare, CONCURRENCY, (u) =>
        call(service.url, '/mfa/verify-login', u.auth, { mfaType: 'GOOGLE_AUTH', code: wrongCode(u.secret) }),
      );
      if (attempt <= RUNS) wrong.push(figures(batch, 400));
    }
    for (let run = 0; run < RUNS; run++) {
      const batch = await pool(spare, CONCURRENCY, (u) =>
        call(service.url, '/mfa/verify-login', u.auth, { mfaType: 'GOOGLE_AUTH', code: authenticator.generate(u.secret) }),
      );
      locked.push(figures(batch, 423));
    }
    const row = (name, runs, expected) => ({
      case: name,
      expected,
      perSecond: summary(runs.map((r) => r.perSecond)),
      p50: summary(
        runs.map((r) => r.p50),
        1,
      ),
      p99: summary(
        runs.map((r) => r.p99),
        1,
      ),
      unexpected: `${runs.reduce((n, r) => n + r.unexpected, 0)} (${[...new Set(runs.map((r) => r.statuses))].join(', ')})`,
    });
    const ratio = (runs) => `${summary(runs.map((r, i) => (r.perSecond / valid[i].perSecond) * 100))} %`;
    return {
      users: USERS,
      concurrency: CONCURRENCY,
      rows: [
        row('valid code (distinct users)', valid, '200'),
        row('wrong code (failure recorded)', wrong, '400'),
        row('locked out (after 5 failures)', locked, '423'),
      ],
      wrongVsValid: ratio(wrong),
      lockedVsValid: ratio(locked),
      validMedian: median(valid.map((r) => r.perSecond)),
    };
  } finally {
    await service.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await verifyLogin(), null, 2));
