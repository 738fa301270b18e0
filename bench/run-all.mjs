// Runs every benchmark against the real infrastructure and writes bench/REPORT.md.
// Absolute numbers depend on the (shared, noisy) machine; ratios come from the same run.
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandPath } from './command-path.mjs';
import { eventLatency } from './event-latency.mjs';
import { machine, ROOT } from './lib.mjs';
import { queryPath } from './query-path.mjs';
import { replayThroughput } from './replay-throughput.mjs';

const started = Date.now();
const loadBefore = os.loadavg()[0].toFixed(2);
const query = await queryPath();
const command = await commandPath();
const latency = await eventLatency();
const replay = await replayThroughput();

const table = (rows) => {
  const keys = Object.keys(rows[0]);
  return [`| ${keys.join(' | ')} |`, `| ${keys.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${keys.map((k) => r[k]).join(' | ')} |`)].join('\n');
};

const report = `# Benchmark report

- Date: ${new Date().toISOString()}
- Machine: ${machine()}
- Database: ${process.env.MONGO_URL ? 'from MONGO_URL' : 'FerretDB v1.24.2 (SQLite) via scripts/infra.sh'}; broker: ${process.env.KAFKA_BROKERS ? 'from KAFKA_BROKERS' : 'Apache Kafka 3.9.1 KRaft single node'}
- Commit: ${execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim()}
- Reproduce: \`npm run bench\` (builds first; took ${Math.round((Date.now() - started) / 1000)} s)
- 1-minute load average: ${loadBefore} before, ${os.loadavg()[0].toFixed(2)} after (other work on the machine skews absolute numbers)

Figures are medians of ${process.env.BENCH_RUNS ?? 3} runs with (min–max). Latencies in ms.

## 1 + 7. Query path: GET /mfa/status (JWT + database) vs GET /health/live (baseline)

Goal: status ≥ 50 % of the baseline's throughput; p99 ≤ 25 ms at 50 connections.

${table(query)}

## 2. Command path: POST /mfa/organization/enforce toggles across 1,000 orgs

Goal: ≥ 1,000 commands/s.

${table([command])}

## 3 + 7. Event latency: HTTP response → kafkajs consumer

Goal: p50 ≤ 50 ms, p99 ≤ 250 ms.

${table(latency)}

## 4. Replay throughput vs a raw kafkajs producer (same records, same batch size)

Goal: ≥ 50 % of raw.

${table([replay])}

## Not measured yet

5 (fan-out of UserMfaSetupRequired) and 6 (TOTP verify-login) need features of issues 4–5.
`;
writeFileSync(path.join(ROOT, 'bench', 'REPORT.md'), report);
console.log(report);
