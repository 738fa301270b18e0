// Issue 16, verify-login: which database commands one login sends and where its CPU goes.
//   node bench/verify-login-costs.mjs [users] [--cpu-prof]
// Each user (a member of one enforcing org, token orgId = that org) sets up an authenticator app,
// then all log in once in the next TOTP step; the service's mfa_db_commands_total is read before and
// after (per command, and the part sent before each response vs. by the relay) and its CPU per login.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import otplib from 'otplib';
import { counters, cpuMs } from './op-costs.mjs';
import { adminClaims, infrastructure, ROOT, seedAdminMfa, serviceEnv, startService, token } from './lib.mjs';

const { authenticator } = otplib;
const USERS = Number(process.argv[2] ?? 100);
const PROFILE = process.argv.includes('--cpu-prof');
const CONNECTIONS = 10;
const STEP = 30_000;
const INSPECT_PORT = Number(process.env.BENCH_INSPECT_PORT ?? 9229);

/** The service's V8 profiler over the inspector protocol: only the logins are sampled, not the set-up. */
async function profiler() {
  const [target] = await (await fetch(`http://127.0.0.1:${INSPECT_PORT}/json/list`)).json();
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  let id = 0;
  const waiting = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(String(m.data));
    waiting.get(msg.id)?.(msg.result);
  };
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      waiting.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 200 });
  return {
    start: () => send('Profiler.start'),
    stop: async () => {
      const { profile } = await send('Profiler.stop');
      ws.close();
      return profile;
    },
  };
}

/** Self time by package and by function. */
function summarize(profile, top) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map();
  const byPkg = new Map();
  for (const [nodeId, us] of self) {
    const f = byId.get(nodeId).callFrame;
    const where = f.url.replace(/^file:\/\//, '').replace(ROOT + '/', '');
    const fn = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    const pkg =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ??
      (where.startsWith('dist/') ? `service ${where.split('/').slice(-1)[0]}` : where.startsWith('node:') ? 'node core' : f.functionName || '(native)');
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
  }
  const pct = (us) => `${((us / total) * 100).toFixed(1)} %`.padStart(7);
  const sort = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `${Math.round(total / 1000)} ms sampled`,
    ...sort(byPkg).map(([k, v]) => `${pct(v)}  ${k}`),
    '',
    ...sort(byFn).map(([k, v]) => `${pct(v)}  ${k}`),
  ].join('\n');
}

async function post(url, p, auth, body) {
  const res = await fetch(`${url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json().catch(() => ({})) };
}
async function pool(items, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}
const diff = (after, before) => new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)]).filter(([, v]) => v > 0));

const infra = infrastructure();
const env = serviceEnv(infra, { PORT: process.env.BENCH_PORT ?? '0' });
const service = await startService(env, PROFILE ? [`--inspect=127.0.0.1:${INSPECT_PORT}`] : []);
try {
  const orgId = 'vl-org';
  const mongo = await MongoClient.connect(infra.mongoUrl);
  await seedAdminMfa(mongo.db(env.MONGO_DB_NAME), ['vl-owner']);
  await mongo.close();
  const ownerAuth = `Bearer ${await token(adminClaims('vl-owner', orgId))}`;
  const enforced = await post(service.url, '/mfa/organization/enforce', ownerAuth, { enforced: true, allowedMethods: ['GOOGLE_AUTH', 'PASSKEY'] });
  if (enforced.status !== 200) throw new Error(`enforce ${enforced.status}`);
  const users = await Promise.all(
    Array.from({ length: USERS }, async (_, i) => ({ auth: `Bearer ${await token({ sub: `vl-u${i}`, orgId, orgRole: 0, amr: ['pwd'] })}` })),
  );
  await pool(users, async (u) => {
    const setup = await post(service.url, '/mfa/setup', u.auth, { mfaType: 'GOOGLE_AUTH' });
    if (setup.status !== 200) throw new Error(`setup ${setup.status}`);
    u.secret = setup.json.data.secret;
    const verified = await post(service.url, '/mfa/verify-setup', u.auth, { mfaType: 'GOOGLE_AUTH', code: authenticator.generate(u.secret) });
    if (verified.status !== 200) throw new Error(`verify-setup ${verified.status}`);
  });
  const step = Math.floor(Date.now() / STEP);
  while (Math.floor(Date.now() / STEP) <= step) await new Promise((resolve) => setTimeout(resolve, 250));
  await new Promise((resolve) => setTimeout(resolve, 2000)); // the setup's events are out; caches at their steady state
  const prof = PROFILE ? await profiler() : null;
  await prof?.start();
  const before = await counters(service.url);
  const cpu0 = cpuMs(service.pid);
  const t0 = Date.now();
  await pool(users, async (u) => {
    const res = await post(service.url, '/mfa/verify-login', u.auth, { mfaType: 'GOOGLE_AUTH', code: authenticator.generate(u.secret) });
    if (res.status !== 200) throw new Error(`verify-login ${res.status} ${JSON.stringify(res.json)}`);
  });
  const answered = await counters(service.url);
  const seconds = (Date.now() - t0) / 1000;
  const cpu = cpuMs(service.pid) - cpu0;
  const profile = await prof?.stop();
  for (let i = 0; i < 100 && (await counters(service.url)).records - before.records < USERS; i++) await new Promise((r) => setTimeout(r, 100));
  const after = await counters(service.url);
  const perLogin = (m) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, +(v / USERS).toFixed(2)]));
  const total = (m) => +([...m.values()].reduce((a, b) => a + b, 0) / USERS).toFixed(2);
  const untilAnswered = diff(answered.commands, before.commands);
  const all = diff(after.commands, before.commands);
  console.log(
    JSON.stringify(
      {
        logins: USERS,
        seconds,
        loginsPerSecond: +(USERS / seconds).toFixed(0),
        cpuUsPerLogin: Math.round((cpu * 1000) / USERS),
        untilLastAnswer: { total: total(untilAnswered), ...perLogin(untilAnswered) },
        withPublication: { total: total(all), ...perLogin(all) },
        records: after.records - before.records,
      },
      null,
      2,
    ),
  );
  if (profile) {
    const dir = path.join(ROOT, 'bench', '.profiles');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `verify-login-${Date.now().toString(36)}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log(`${file}\n${summarize(profile, 30)}`);
  }
} finally {
  await service.stop();
}
