// Issue 16: engine-independent figures. Per operation: the service process's own CPU time over the
// run ÷ operations (/proc/<pid>/stat), database commands (the service's mfa_db_commands_total) and
// Kafka records (mfa_outbox_published_events_total) per operation, commands' events published
// before the window closes. Same-run baselines: the no-op route, a bare node:http server answering
// the status JSON from memory, raw driver operations and a raw kafkajs producer (client CPU per op).
// Background timers (relay poll, backlog gauge) are measured idle first and subtracted.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MongoClient } from 'mongodb';
import otplib from 'otplib';
import { adminClaims, infrastructure, load, seedAdminMfa, sendRaw, serviceEnv, startService, token, withRawProducer } from './lib.mjs';

const { authenticator } = otplib;
const TICK_MS = 10; // 1000 / CLK_TCK (100 on Linux)
const HTTP_REQUESTS = Number(process.env.BENCH_OPS_REQUESTS ?? 2000);
const USERS = Number(process.env.BENCH_OPS_USERS ?? 40);
const ORGS = Number(process.env.BENCH_OPS_ORGS ?? 20);
const BIG_ORG = Number(process.env.BENCH_OPS_BIG_ORG ?? 1000);
const CONNECTIONS = 10;
const STEP = 30_000;
/** Collections and commands only the relay (and its idle poll) sends. */
const RELAY_ONLY = /^(outbox_leases|event_log) |^outbox_pending (find|delete)$/;

/** User + system CPU time of a process so far, in ms (10 ms resolution: runs are long enough). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** The service's counters: database commands by `collection command`, and Kafka records published. */
export async function counters(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const commands = new Map();
  let records = 0;
  for (const line of text.split('\n')) {
    const command = /^mfa_db_commands_total\{collection="([^"]*)",command="([^"]*)"\} (\S+)/.exec(line);
    if (command) commands.set(`${command[1] || '(db)'} ${command[2]}`, Number(command[3]));
    const published = /^mfa_outbox_published_events_total\{[^}]*\} (\S+)/.exec(line);
    if (published) records += Number(published[1]);
  }
  return { commands, records };
}

const sum = (map) => [...map.values()].reduce((a, b) => a + b, 0);
const diff = (after, before) => new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)]).filter(([, v]) => v > 0));

/** Runs fn over items with `concurrency` in flight. */
async function pool(items, concurrency, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

async function post(url, path, auth, body) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: auth },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, json: await res.json().catch(() => ({})) };
}

/** A service under measurement: snapshot, run, wait for its events to be published, snapshot. */
function meter(service, idle) {
  return async function measure(name, operations, fn, { expectRecords = 0, aggregate = null } = {}) {
    const before = await counters(service.url);
    const cpuBefore = cpuMs(service.pid);
    const started = Date.now();
    console.error(`op costs: ${name}`);
    const extra = (await fn()) ?? {};
    // Commands publish through the relay: the window closes once their records are out (or 20 s).
    const deadline = Date.now() + 20_000;
    let after = await counters(service.url);
    while (after.records - before.records < expectRecords && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await counters(service.url);
    }
    const seconds = (Date.now() - started) / 1000;
    const cpu = cpuMs(service.pid) - cpuBefore - idle.cpuMsPerSecond * seconds;
    const commands = diff(after.commands, before.commands);
    const background = idle.commandsPerSecond * seconds;
    const top = [...commands].sort((a, b) => b[1] - a[1]).slice(0, 6);
    // A command's own commands vs its publication's, by the relay's sequence (outbox-batch.ts), all per
    // batch: a lease insert, a marker read (`_id` list; none for woken user-mfa aggregates), an outbox
    // read (`_id` list), the send, one event-log insert, one removal command (a compare-and-set
    // statement per aggregate), one marker delete and one lease delete — so the batches are counted by
    // their event-log inserts.
    const records = after.records - before.records;
    let split = {};
    if (aggregate && records > 0) {
      const relayOnly = [...commands].filter(([k]) => RELAY_ONLY.test(k)).reduce((a, [, v]) => a + v, 0) - background;
      const batches = commands.get('event_log insert') ?? 0;
      const relayOnAggregate = Math.min(commands.get(`${aggregate} find`) ?? 0, batches) + Math.min(commands.get(`${aggregate} update`) ?? 0, batches);
      split = {
        requestPathCommandsPerOp: +((sum(commands) - background - relayOnly - relayOnAggregate) / operations).toFixed(2),
        relayCommandsPerEvent: +((relayOnly + relayOnAggregate) / records).toFixed(2),
      };
    }
    return {
      operation: name,
      operations,
      opsPerSecond: +(operations / seconds).toFixed(0),
      cpuUsPerOp: Math.max(0, Math.round((cpu * 1000) / operations)),
      dbCommandsPerOp: +Math.max(0, (sum(commands) - background) / operations).toFixed(2),
      kafkaRecordsPerOp: +(records / operations).toFixed(2),
      ...split,
      commands,
      top: top.map(([k, v]) => `${k} ${(v / operations).toFixed(2)}`).join('; '),
      ...extra,
    };
  };
}

/** A bare node:http server answering `body` from memory: the floor for any HTTP route. */
async function bareHttp(body) {
  const script = `const body = process.argv[1];
require('node:http').createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }); res.end(body); })
  .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const child = spawn(process.execPath, ['-e', script, body], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => child.kill() };
}

/** Client-side CPU of the bench process per raw operation (it does nothing else meanwhile). */
async function clientCpu(operations, fn) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { opsPerSecond: Math.round(operations / ((performance.now() - started) / 1000)), cpuUsPerOp: Math.round((used.user + used.system) / operations) };
}

async function rawDriver(mongoUrl, dbName) {
  const mongo = await MongoClient.connect(mongoUrl);
  const col = mongo.db(dbName).collection('bench_raw_ops');
  const n = 2000;
  await col.insertMany(Array.from({ length: n }, (_, i) => ({ _id: `r-${i}`, version: 1, enabledMethods: ['GOOGLE_AUTH'], outbox: [] })));
  const each = (fn) => () =>
    pool(
      Array.from({ length: n }, (_, i) => i),
      CONNECTIONS,
      fn,
    );
  const rows = [
    {
      operation: 'raw driver findOne by _id',
      ...(await clientCpu(
        n,
        each((i) => col.findOne({ _id: `r-${i}` })),
      )),
    },
    {
      operation: 'raw driver guarded updateOne ({_id, version})',
      ...(await clientCpu(
        n,
        each((i) => col.updateOne({ _id: `r-${i}`, version: 1 }, { $set: { x: i }, $inc: { version: 1 } })),
      )),
    },
    {
      operation: 'raw driver insertOne',
      ...(await clientCpu(
        n,
        each((i) => col.insertOne({ _id: `n-${i}`, x: i })),
      )),
    },
  ];
  await col.drop().catch(() => undefined);
  await mongo.close();
  return rows.map((r) => ({ ...r, dbCommandsPerOp: 1, kafkaRecordsPerOp: 0 }));
}

async function rawProducer(brokers) {
  const n = 20_000;
  const value = JSON.stringify({
    orgId: 'org-raw',
    userId: 'user-raw-000000',
    enforcementDeadline: new Date().toISOString(),
    allowedMethods: ['GOOGLE_AUTH', 'PASSKEY'],
  });
  const row = await withRawProducer(brokers, (producer, topic) =>
    clientCpu(n, () => sendRaw(producer, topic, { count: n, value, key: (i) => `u-${i % 1000}`, headers: { ce_type: 'UserMfaSetupRequired' } })),
  );
  return { operation: 'raw kafkajs producer, per record (batches of 500, acks=all, idempotent)', ...row, dbCommandsPerOp: 0, kafkaRecordsPerOp: 1 };
}

export async function opCosts() {
  const infra = infrastructure();
  // The caches' TTLs may be set for before/after comparisons (0 = every request reads the database).
  const ttls = Object.fromEntries(
    ['MEMBERSHIP_CACHE_TTL_MS', 'ORG_POLICY_CACHE_TTL_MS'].filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]),
  );
  const env = serviceEnv(infra, { MFA_SCHEDULER_INTERVAL_MS: '0', ...ttls });
  const mongo = await MongoClient.connect(infra.mongoUrl);
  const db = mongo.db(env.MONGO_DB_NAME);
  const service = await startService(env);
  const rows = [];
  try {
    // Idle: what the relay's timers cost while nothing happens.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const idleBefore = await counters(service.url);
    const idleCpu = cpuMs(service.pid);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const idleAfter = await counters(service.url);
    const idle = { commandsPerSecond: sum(diff(idleAfter.commands, idleBefore.commands)) / 4, cpuMsPerSecond: (cpuMs(service.pid) - idleCpu) / 4 };
    console.log('op costs: idle', idle);
    const measure = meter(service, idle);

    // Read paths: a member of an enforced org, whose token shows another org.
    const enforcedOrg = 'oc-org-enforced';
    await seedAdminMfa(db, ['oc-owner']);
    await db.collection('org_members').insertOne({
      _id: `${enforcedOrg}:oc-user`,
      orgId: enforcedOrg,
      userId: 'oc-user',
      role: 0,
      source: 'event',
      joinedAt: new Date(),
      lastSeenAt: new Date(),
      membershipUpdatedAt: new Date(),
    });
    const owner = `Bearer ${await token(adminClaims('oc-owner', enforcedOrg))}`;
    console.error(`op costs: service at ${service.url} (pid ${service.pid}); seeding the read paths`);
    if ((await post(service.url, '/mfa/organization/enforce', owner, { enforced: true })).status !== 200) throw new Error('enforce failed');
    const userAuth = `Bearer ${await token({ sub: 'oc-user', orgId: 'oc-org-token', orgRole: 0 })}`;
    const statusBody = await (await fetch(`${service.url}/mfa/status`, { headers: { authorization: userAuth } })).text();
    await load({ url: `${service.url}/mfa/status`, connections: CONNECTIONS, amount: 500, headers: { authorization: userAuth } }); // warm-up
    await load({ url: `${service.url}/health/live`, connections: CONNECTIONS, amount: 500 });

    const bare = await bareHttp(statusBody);
    try {
      const cpu0 = cpuMs(bare.pid);
      const t0 = Date.now();
      await load({ url: bare.url, connections: CONNECTIONS, amount: HTTP_REQUESTS });
      const seconds = (Date.now() - t0) / 1000;
      rows.push({
        operation: 'baseline: bare node:http, status JSON from memory',
        operations: HTTP_REQUESTS,
        opsPerSecond: Math.round(HTTP_REQUESTS / seconds),
        cpuUsPerOp: Math.round(((cpuMs(bare.pid) - cpu0) * 1000) / HTTP_REQUESTS),
        dbCommandsPerOp: 0,
        kafkaRecordsPerOp: 0,
      });
    } finally {
      bare.stop();
    }
    rows.push(
      await measure('baseline: GET /health/live (no-op route)', HTTP_REQUESTS, () =>
        load({ url: `${service.url}/health/live`, connections: CONNECTIONS, amount: HTTP_REQUESTS }),
      ),
    );
    rows.push(
      await measure('GET /mfa/status', HTTP_REQUESTS, () =>
        load({ url: `${service.url}/mfa/status`, connections: CONNECTIONS, amount: HTTP_REQUESTS, headers: { authorization: userAuth } }),
      ),
    );
    rows.push(
      await measure('GET /mfa/methods', HTTP_REQUESTS, () =>
        load({ url: `${service.url}/mfa/methods`, connections: CONNECTIONS, amount: HTTP_REQUESTS, headers: { authorization: userAuth } }),
      ),
    );

    // Factor commands, one per distinct user: setup → verify-setup → (next time step) verify-login.
    const users = await Promise.all(Array.from({ length: USERS }, async (_, i) => ({ id: `oc-u${i}`, auth: `Bearer ${await token({ sub: `oc-u${i}` })}` })));
    await pool(users, CONNECTIONS, (u) => fetch(`${service.url}/mfa/status`, { headers: { authorization: u.auth } })); // first contact
    rows.push(
      await measure('POST /mfa/setup (GOOGLE_AUTH)', USERS, async () => {
        await pool(users, CONNECTIONS, async (u) => {
          const res = await post(service.url, '/mfa/setup', u.auth, { mfaType: 'GOOGLE_AUTH' });
          if (res.status !== 200) throw new Error(`setup ${res.status}`);
          u.secret = res.json.data.secret;
        });
      }),
    );
    const verifySetup = await measure(
      'POST /mfa/verify-setup',
      USERS,
      async () => {
        await pool(users, CONNECTIONS, async (u) => {
          const res = await post(service.url, '/mfa/verify-setup', u.auth, { mfaType: 'GOOGLE_AUTH', code: authenticator.generate(u.secret) });
          if (res.status !== 200) throw new Error(`verify-setup ${res.status}`);
        });
      },
      { expectRecords: USERS, aggregate: 'user_mfa' },
    );
    rows.push(verifySetup);
    // The login flow's token names the organization the login is for (its context): registered at first contact, as a status call does.
    for (const u of users) u.loginAuth = `Bearer ${await token({ sub: u.id, orgId: 'oc-login-org', orgRole: 0 })}`;
    await pool(users, CONNECTIONS, (u) => fetch(`${service.url}/mfa/status`, { headers: { authorization: u.loginAuth } }));
    const step = Math.floor(Date.now() / STEP);
    while (Math.floor(Date.now() / STEP) <= step) await new Promise((resolve) => setTimeout(resolve, 250));
    rows.push(
      await measure(
        "POST /mfa/verify-login (TOTP, token with the login's orgId), with its event published",
        USERS,
        async () => {
          const statuses = await pool(
            users,
            CONNECTIONS,
            async (u) => (await post(service.url, '/mfa/verify-login', u.loginAuth, { mfaType: 'GOOGLE_AUTH', code: authenticator.generate(u.secret) })).status,
          );
          if (statuses.some((s) => s !== 200)) throw new Error(`verify-login ${[...new Set(statuses)]}`);
        },
        { expectRecords: USERS, aggregate: 'user_mfa' },
      ),
    );

    // Enforce toggles on small orgs (each answer + its event published), then one enforcement of a big org.
    const admins = Array.from({ length: ORGS }, (_, i) => `oc-admin-${i}`);
    await seedAdminMfa(db, admins);
    const adminTokens = await Promise.all(admins.map((a, i) => token(adminClaims(a, `oc-org-${i}`))));
    await pool(adminTokens, CONNECTIONS, (t) => fetch(`${service.url}/mfa/status`, { headers: { authorization: `Bearer ${t}` } }));
    const toggles = [];
    for (let round = 0; round < 2; round++) for (let i = 0; i < ORGS; i++) toggles.push({ auth: `Bearer ${adminTokens[i]}`, enforced: round === 0 });
    const enforceRow = await measure(
      `POST /mfa/organization/enforce, ${ORGS} orgs toggled twice (1 member each)`,
      toggles.length,
      async () => {
        const statuses = await pool(
          toggles.slice(0, ORGS),
          CONNECTIONS,
          async (t) => (await post(service.url, '/mfa/organization/enforce', t.auth, { enforced: t.enforced })).status,
        );
        statuses.push(
          ...(await pool(
            toggles.slice(ORGS),
            CONNECTIONS,
            async (t) => (await post(service.url, '/mfa/organization/enforce', t.auth, { enforced: t.enforced })).status,
          )),
        );
        if (statuses.some((s) => s !== 200)) throw new Error(`enforce ${[...new Set(statuses)]}`);
      },
      { expectRecords: toggles.length, aggregate: 'org_policies' },
    );
    rows.push(enforceRow);

    const bigOrg = 'oc-org-big';
    const now = new Date();
    for (let i = 0; i < BIG_ORG; i += 1000) {
      await db.collection('org_members').insertMany(
        Array.from({ length: Math.min(1000, BIG_ORG - i) }, (_, j) => ({
          _id: `${bigOrg}:m${i + j}`,
          orgId: bigOrg,
          userId: `m${i + j}`,
          role: 0,
          source: 'event',
          joinedAt: now,
          lastSeenAt: now,
          membershipUpdatedAt: now,
        })),
      );
    }
    await seedAdminMfa(db, ['oc-big-admin']);
    const bigAuth = `Bearer ${await token(adminClaims('oc-big-admin', bigOrg))}`;
    await fetch(`${service.url}/mfa/status`, { headers: { authorization: bigAuth } });
    const countingBefore = await counters(service.url);
    const bigStarted = Date.now();
    const bigRes = await post(service.url, '/mfa/organization/enforce', bigAuth, { enforced: true });
    const bigAnsweredMs = Date.now() - bigStarted;
    const countingAfter = await counters(service.url);
    const counting = (m) => [...m].filter(([k]) => /^(org_members|user_mfa) (aggregate|count)$/.test(k)).reduce((a, [, v]) => a + v, 0);
    rows.push({
      operation: `POST /mfa/organization/enforce, one org of ${BIG_ORG} members (request only; its fan-out is the fan-out figure)`,
      operations: 1,
      status: bigRes.status,
      answeredMs: bigAnsweredMs,
      countingQueriesPerOp: counting(countingAfter.commands) - counting(countingBefore.commands),
    });
    const smallCounting = counting(enforceRow.commands) / toggles.length;

    // Relay, over the toggles' window: its writes are the lease insert and delete, the event-log
    // insert, the pending marker's delete and the outbox removal (org_policies updates beyond the
    // one commit per command). Reads (re-reading the outbox to publish) are not writes.
    const c = enforceRow.commands;
    const get = (k) => c.get(k) ?? 0;
    const relayWrites =
      [...c].filter(([k]) => /^(outbox_leases|event_log) (insert|update|delete|findAndModify)$/.test(k)).reduce((a, [, v]) => a + v, 0) +
      get('outbox_pending delete') +
      Math.max(0, get('org_policies update') - toggles.length);
    const relayRecords = Math.round(enforceRow.kafkaRecordsPerOp * enforceRow.operations);

    // Raw baselines, same run.
    rows.push(...(await rawDriver(infra.mongoUrl, env.MONGO_DB_NAME)));
    rows.push(await rawProducer(infra.kafkaBrokers));

    for (const r of rows) delete r.commands;
    return { rows, idle, smallCountingPerEnforce: smallCounting, relay: { records: relayRecords, writes: relayWrites } };
  } finally {
    await service.stop();
    await mongo.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await opCosts(), null, 2));
