// Runs every benchmark against the real infrastructure and writes bench/REPORT.md.
// Absolute numbers depend on the (shared, noisy) machine; ratios come from the same run.
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandPath } from './command-path.mjs';
import { dbCosts } from './db-costs.mjs';
import { eventLatency } from './event-latency.mjs';
import { fanOut } from './fan-out.mjs';
import { opCosts } from './op-costs.mjs';
import { barChart, environment, infrastructure, ROOT } from './lib.mjs';
import { queryPath } from './query-path.mjs';
import { replayThroughput } from './replay-throughput.mjs';
import { verifyLogin } from './verify-login.mjs';

const started = Date.now();
const loadBefore = os.loadavg()[0].toFixed(2);
const infra = infrastructure();
const env = await environment(infra);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** Each benchmark on its own: one failing is reported, the others still run. */
async function step(name, fn) {
  const t0 = Date.now();
  console.error(`\n== ${name}`);
  try {
    const result = await fn();
    return { ...(Array.isArray(result) ? { rows: result } : result), seconds: Math.round((Date.now() - t0) / 1000) };
  } catch (error) {
    console.error(`${name} failed:`, error);
    return { failed: true, why: String(error?.message ?? error).split('\n')[0], seconds: Math.round((Date.now() - t0) / 1000) };
  }
}

const costs = await step('database cost model', () => dbCosts());
const ops = await step('engine-independent costs per operation', () => opCosts());
const query = await step('query path', () => queryPath());
const command = await step('command path', () => commandPath());
const latency = await step('event latency', () => eventLatency());
// The suite's budget is 10 minutes; the replay (about 100 s per run of 100,000 events on FerretDB)
// is the one figure that cannot always do its 3 runs within it: it stops early, and says so.
const BUDGET_MS = Number(process.env.BENCH_BUDGET_S ?? 600) * 1000;
const replay = await step('replay', () => replayThroughput({ deadline: started + BUDGET_MS - 150_000 }));
const fan = await step('fan-out', () => fanOut());
const verify = await step('verify-login', () => verifyLogin());

const table = (rows) => {
  if (!rows?.length) return '_no rows_';
  const keys = Object.keys(rows[0]);
  return [`| ${keys.join(' | ')} |`, `| ${keys.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${keys.map((k) => r[k]).join(' | ')} |`)].join('\n');
};
const lead = (figure) => Number(String(figure).split(' ')[0]);
const status = (result, render) =>
  result.failed
    ? `**Failed**: ${result.why}`
    : result.skipped
      ? `**Not available yet**: ${result.why}. Re-run \`npm run bench\` once the feature is merged.`
      : render(result);
const goal = (met) => (met ? '**met**' : '**missed**');

// Goals, judged on the medians.
const at50 = query.rows?.find((r) => r.connections === 50);
const queryMet = at50 && lead(at50.ratio) >= 50 && lead(at50.statusP99) <= 25;
const commandMet = !command.failed && command.median >= 1000;
const lat50 = latency.rows?.find((r) => r.connections === 50);
const latencyMet = lat50 && lat50.pooledP50 <= 50 && lat50.pooledP99 <= 250;

const queryChart = query.rows
  ? barChart(
      query.rows.flatMap((r) => [
        [`live   @${r.connections}`, lead(r.baselineRps)],
        [`status @${r.connections}`, lead(r.statusRps)],
      ]),
      { unit: ' req/s' },
    ) +
    '\n\n' +
    barChart(
      query.rows.map((r) => [`status p99 @${r.connections}`, lead(r.statusP99)]),
      { unit: ' ms' },
    )
  : '';
const latencyChart = latency.rows
  ? barChart(
      latency.rows.flatMap((r) => [
        [`p50 @${r.connections}`, r.pooledP50],
        [`p99 @${r.connections}`, r.pooledP99],
      ]),
      { unit: ' ms' },
    )
  : '';

const summaryRows = [
  {
    figure: '1. GET /mfa/status vs /health/live @50',
    measured: at50 ? `${at50.ratio} of baseline; p99 ${at50.statusP99} ms` : 'failed',
    goal: '≥ 50 %, p99 ≤ 25 ms',
    verdict: goal(queryMet),
  },
  {
    figure: '2. enforce toggles, 1,000 orgs',
    measured: command.failed ? 'failed' : `${command.commandsPerSecond} commands/s (raw DB writes ${command.rawWritesPerSecond}/s)`,
    goal: '≥ 1,000/s',
    verdict: goal(commandMet),
  },
  {
    figure: '3. event latency @50',
    measured: lat50 ? `p50 ${lat50.pooledP50} ms, p99 ${lat50.pooledP99} ms (${lat50.samples} samples)` : 'failed',
    goal: 'p50 ≤ 50, p99 ≤ 250 ms',
    verdict: goal(latencyMet),
  },
  {
    figure: '4. replay 100,000 events vs raw',
    measured: replay.failed ? 'failed' : `${replay.ratio} (${replay.replayPerSecond} vs ${replay.rawPerSecond} events/s)`,
    goal: '≥ 50 %',
    verdict: replay.failed ? 'failed' : goal(replay.goalMet),
  },
  {
    figure: '5. fan-out 100,000 members vs raw',
    measured: fan.skipped || fan.failed ? 'not available yet' : `${fan.ratio}; ${fan.complete}; peak RSS ${fan.peakRssMb} MB`,
    goal: '≥ 30 %, RSS < 300 MB',
    verdict: fan.skipped || fan.failed ? 'not measured' : goal(fan.goalMet),
  },
  {
    figure: '6. TOTP verify-login',
    measured:
      verify.skipped || verify.failed
        ? 'not available yet'
        : `${verify.rows[0].perSecond} logins/s; wrong code ${verify.wrongVsValid}, locked ${verify.lockedVsValid} of valid throughput`,
    goal: '(report)',
    verdict: verify.skipped || verify.failed ? 'not measured' : 'measured',
  },
];

// Issue 16's budgets: engine-independent where they can be (CPU per operation against the no-op
// route of the same run, database commands per operation), database-relative where they cannot.
const opRow = (prefix) => ops.rows?.find((r) => r.operation.startsWith(prefix));
const noop = opRow('baseline: GET /health/live');
const cpuX = (r) => (r && noop?.cpuUsPerOp ? r.cpuUsPerOp / noop.cpuUsPerOp : NaN);
const fmtX = (x) => (Number.isFinite(x) ? `${x.toFixed(1)}×` : 'n/a');
const verdict = (met) => (met === null ? 'not measured' : met ? '**met**' : '**missed**');
const readBudget = (name) => {
  const r = opRow(name);
  if (!r) return { commands: 'failed', cpu: 'failed', commandsMet: null, cpuMet: null };
  return {
    commands: `${r.dbCommandsPerOp} commands/request (${r.top})`,
    commandsMet: r.dbCommandsPerOp <= 1.05, // the org policy's re-read once per TTL (1 s) rounds up to 1.01
    cpu: `${r.cpuUsPerOp} µs = ${fmtX(cpuX(r))} the no-op route (${noop.cpuUsPerOp} µs); a bare node:http server: ${opRow('baseline: bare')?.cpuUsPerOp} µs; the raw driver's findOne alone: ${opRow('raw driver findOne')?.cpuUsPerOp} µs of client CPU`,
    cpuMet: cpuX(r) <= 2,
  };
};
const status16 = readBudget('GET /mfa/status');
const methods16 = readBudget('GET /mfa/methods');
const login = opRow('POST /mfa/verify-login');
const bigEnforce = opRow('POST /mfa/organization/enforce, one org');
const toggleRow = opRow('POST /mfa/organization/enforce, ');
const lat10 = latency.rows?.find((r) => r.connections === 10);
const budgets = [
  {
    budget: "status: ≤ 1 database command per request (org policy cached; the caches' once-per-TTL refresh amortized in: judged at ≤ 1.05)",
    measured: status16.commands,
    verdict: verdict(status16.commandsMet),
  },
  { budget: 'status: service CPU ≤ 2× the no-op route', measured: status16.cpu, verdict: verdict(status16.cpuMet) },
  { budget: 'methods: ≤ 1 database command per request (same)', measured: methods16.commands, verdict: verdict(methods16.commandsMet) },
  { budget: 'methods: service CPU ≤ 2× the no-op route', measured: methods16.cpu, verdict: verdict(methods16.cpuMet) },
  {
    budget:
      "verify-login (TOTP): ≤ 2 database commands on the request path (load + one guarded write; the policy cache's once-per-TTL refresh amortized in, as for status: judged at ≤ 2.05)",
    measured: login ? `${login.requestPathCommandsPerOp} commands on the request path (${login.dbCommandsPerOp} with its event's publication)` : 'failed',
    verdict: verdict(login ? login.requestPathCommandsPerOp <= 2.05 : null),
  },
  {
    budget: 'verify-login (TOTP): service CPU ≤ 3× the no-op route',
    measured: login ? `${login.cpuUsPerOp} µs = ${fmtX(cpuX(login))} the no-op route (${noop?.cpuUsPerOp} µs), its event's publication included` : 'failed',
    verdict: verdict(login ? cpuX(login) <= 3 : null),
  },
  {
    budget: 'enforce: database commands that do not grow with the org (no counting scans on the command path)',
    measured: bigEnforce
      ? `${bigEnforce.countingQueriesPerOp} counting queries (countDocuments over members) in one enforcement of a ${bigEnforce.operation.match(/of (\d+)/)?.[1]}-member org; ${toggleRow?.requestPathCommandsPerOp ?? '?'} commands per toggle on the request path`
      : 'failed',
    verdict: verdict(bigEnforce ? bigEnforce.countingQueriesPerOp === 0 : null),
  },
  {
    budget: 'relay: ≤ 1 database write per published event, amortized over a batch',
    measured: ops.relay
      ? `${(ops.relay.writes / ops.relay.records).toFixed(2)} writes per event (${ops.relay.writes} writes for ${ops.relay.records} events of the enforce toggles)`
      : 'failed',
    verdict: verdict(ops.relay ? ops.relay.writes / ops.relay.records <= 1 : null),
  },
  {
    budget: 'replay: ≥ 50 % of the raw kafkajs producer, same run',
    measured: replay.failed
      ? 'failed'
      : `${replay.ratio} (${replay.replayPerSecond} vs ${replay.rawPerSecond} events/s, the raw producer sending the replay's own records: same key, value and 16 headers; with minimal 5-header records it sends ${replay.rawMinimalRecordsPerSecond}/s); CLI CPU ${replay.cliCpuUsPerEvent} µs/event vs raw producer ${replay.rawProducerCpuUsPerEvent} µs/event`,
    verdict: verdict(replay.failed ? null : replay.ratioMedian >= 50),
  },
  {
    budget: "fan-out of 100,000 members: ≥ 50 % of the database's write ceiling (one write per member), RSS < 300 MB",
    measured:
      fan.skipped || fan.failed
        ? 'failed'
        : `${fan.ofWriteCeiling} of ${fan.rawWritesPerSecond} raw writes/s (${fan.eventsPerSecond} members/s); ${fan.dbWritesPerMember} writes and ${fan.dbCommandsPerMember} commands per member; CPU ${fan.cpuUsPerMember} µs/member; ${fan.complete}; peak RSS ${fan.peakRssMb} MB`,
    verdict: verdict(fan.skipped || fan.failed ? null : fan.budgetMet),
  },
  {
    budget: 'event latency at 10 connections: p99 ≤ 250 ms',
    measured: lat10 ? `p99 ${lat10.pooledP99} ms, p50 ${lat10.pooledP50} ms (${lat10.samples} samples)` : 'failed',
    verdict: verdict(lat10 ? lat10.pooledP99 <= 250 : null),
  },
];
const opsTable = ops.rows
  ? table(
      ops.rows.map((r) => ({
        operation: r.operation,
        'ops/s': r.opsPerSecond ?? '',
        'service CPU µs/op': r.cpuUsPerOp ?? '',
        '× no-op CPU': r.cpuUsPerOp !== undefined && r.operation.includes('/') && !r.operation.startsWith('raw') ? fmtX(cpuX(r)) : '',
        'db commands/op': r.dbCommandsPerOp ?? '',
        'of which request path': r.requestPathCommandsPerOp ?? '',
        'Kafka records/op': r.kafkaRecordsPerOp ?? '',
        'largest (collection command per op)':
          r.top ?? (r.countingQueriesPerOp !== undefined ? `counting queries ${r.countingQueriesPerOp}; answered in ${r.answeredMs} ms` : ''),
      })),
    )
  : `**Failed**: ${ops.why}`;

const notes = readFileSync(path.join(ROOT, 'bench', 'NOTES.md'), 'utf8');

const report = `# Benchmark report

Generated by \`npm run bench\` (builds, then \`node bench/run-all.mjs\`); do not edit by hand — the
analysis that does not change from run to run lives in \`bench/NOTES.md\` and is appended below.

- Date: ${new Date().toISOString()}
- Machine: ${env.cpu}, ${env.cores} cores, ${env.ramGiB} GiB RAM, ${env.os}
- Node ${env.node}; ${env.kafka}; database ${env.database} at ${infra.mongoUrl}
- Commit: ${execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim()}${execSync('git status --porcelain', { cwd: ROOT }).toString().trim() ? ' (with uncommitted changes)' : ''}
- Whole suite: ${Math.round((Date.now() - started) / 1000)} s; 1-minute load average ${loadBefore} before, ${os.loadavg()[0].toFixed(2)} after (other work on the machine skews absolute numbers)
- Figures are medians of ${RUNS} runs with (min–max); latencies in ms. Ratios compare a figure with a baseline measured in the same run, on the same process where applicable.
  Exceptions, to keep the suite within its 10-minute budget on this database: the event-latency curve's 10 and 200
  levels are one run each; a fan-out run that cannot deliver everything within its time limit ends the fan-out
  figure after that run; the replay stops before a run that would overrun the budget (its \`runs\` column says so).

## Budgets (issue 16): engine-independent figures

Service CPU per operation is the service process's own CPU time (\`/proc/<pid>/stat\`) over the run ÷
operations, the relay's idle timers subtracted; database commands come from the service's own
\`mfa_db_commands_total\` (driver command monitoring), Kafka records from \`mfa_outbox_published_events_total\`.
These do not depend on which MongoDB-protocol database answers. Reproduce: \`npm run build && node bench/op-costs.mjs\`. (${ops.seconds} s)

${table(budgets)}

### Per operation, same run

Commands publish their events before the window closes, so their rows include the relay's work; "of which
request path" takes out the relay's fixed sequence per batch of published aggregates (lease, marker read,
outbox read, event-log insert, removal, lease and marker delete; \`outbox-batch.ts\`). Raw rows are the bench process's
own (client) CPU per operation: the floor of what the driver and kafkajs cost any caller.

${opsTable}

## FerretDB figures: the goals of issue 6 (local FerretDB, not an engine-independent measure)

${table(summaryRows)}

## Database cost model (measured in this run)

Plain driver, no service, ms per operation at two collection sizes (${costs.seconds} s): by \`_id\` the
database uses its index; \`{_id: {$in: [50 ids]}}\` — what the outbox relay used to claim and re-read
a batch with — scans the collection, and as an update it does so holding the global write lock.

${costs.failed ? costs.why : table(costs.rows)}

## 1 + 7. Query path: GET /mfa/status (JWT + database) vs GET /health/live (baseline, same process)

Reproduce: \`npm run build && node bench/query-path.mjs\` (\`BENCH_CONNECTIONS=10,50,200 BENCH_RUNS=3 BENCH_DURATION=3\`). Goal at 50 connections: status ≥ 50 % of the baseline's throughput, p99 ≤ 25 ms. Verdict: ${goal(queryMet)}. (${query.seconds} s)

${status(query, (r) => table(r.rows))}

\`\`\`
${queryChart}
\`\`\`

## 2. Command path: POST /mfa/organization/enforce toggles across 1,000 orgs

Reproduce: \`npm run build && node bench/command-path.mjs\` (\`BENCH_ORGS=1000 BENCH_COMMAND_CONNECTIONS=50 BENCH_COMMANDS_PER_RUN=100\`). The orgs exist (seeded) and
their admins are registered (warm-up) before the measured runs. Baseline in the same run: raw
driver \`updateOne\` by \`_id\` on a collection of the same size at the same concurrency — the
database's ceiling for one command's *first* write. Goal: ≥ 1,000 commands/s. Verdict: ${goal(commandMet)}. (${command.seconds} s)

${status(command, (r) => table([Object.fromEntries(Object.entries(r).filter(([k]) => !['median', 'seconds'].includes(k)))]))}

## 3 + 7. Event latency: HTTP response of a command → record at a kafkajs consumer

Reproduce: \`npm run build && node bench/event-latency.mjs\` (\`BENCH_LATENCY_SAMPLES=2000 BENCH_LATENCY_MAX_S=25 BENCH_LATENCY_DRAIN_S=20\`). 2,000 samples
at 50 connections split over ${RUNS} runs (each run capped at \`BENCH_LATENCY_MAX_S\` so the suite
stays under 10 minutes: \`samples\` says how many were actually taken), one shorter run at 10 and
200. p50/p99 columns: median (min–max) over runs; pooled: over all samples of the level.
Goal: p50 ≤ 50 ms, p99 ≤ 250 ms. Verdict: ${goal(latencyMet)}. (${latency.seconds} s)

${status(latency, (r) => table(r.rows))}

\`\`\`
${latencyChart}
\`\`\`

## 4. Replay throughput vs a raw kafkajs producer (same records, same batch size)

Reproduce: \`npm run build && node bench/replay-throughput.mjs\` (\`BENCH_REPLAY_EVENTS=100000\`). The replay time includes the
CLI process start. Goal: ≥ 50 % of raw. (${replay.seconds} s)

${status(replay, (r) => table([Object.fromEntries(Object.entries(r).filter(([k]) => !['seconds', 'ratioMedian'].includes(k)))]))}

## 5. Fan-out: enforcing an org of 100,000 members until every UserMfaSetupRequired is on Kafka

Reproduce: \`npm run build && node bench/fan-out.mjs\` (\`BENCH_FANOUT_MEMBERS=100000 BENCH_FANOUT_TIMEOUT_S=60\`). Members are
bulk-inserted into \`org_members\` (none has MFA); one enforce request; a kafkajs consumer counts
the org's \`UserMfaSetupRequired\` records; the service's RSS is sampled every 100 ms. Baseline: a
raw kafkajs producer sending as many records of the same size. Goal: ≥ 30 % of raw, RSS < 300 MB. (${fan.seconds} s)

${status(fan, (r) => table([Object.fromEntries(Object.entries(r).filter(([k]) => !['seconds', 'goalMet', 'budgetMet', 'ceilingRatioMedian'].includes(k)))]))}

## 6. TOTP verify-login: throughput and the cost of the lockout bookkeeping

Reproduce: \`npm run build && node bench/verify-login.mjs\` (\`BENCH_VERIFY_USERS=30 BENCH_VERIFY_CONNECTIONS=10\`). Users are set
up through \`POST /mfa/setup\` + \`/mfa/verify-setup\` (otplib codes from the returned secret); every
measured request is a distinct user. Wrong codes record a failure; after 5 the user is locked (423). (${verify.seconds} s)

${status(verify, (r) => `${table(r.rows)}\n\nWrong-code throughput is ${r.wrongVsValid} and locked-out throughput ${r.lockedVsValid} of the valid-code throughput (same run).`)}

${notes}
`;
writeFileSync(path.join(ROOT, 'bench', 'REPORT.md'), report);
console.log(report);
// Every step closed what it opened; a client left behind by a failed step must not hold the suite open.
process.exit(0);
