// Benchmark 2: POST /mfa/organization/enforce toggling across 1,000 orgs (each request a
// real state change: load, decide, version-guarded write of state + outbox event).
import { infrastructure, load, serviceEnv, startService, summary, token } from './lib.mjs';

const ORGS = Number(process.env.BENCH_ORGS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_COMMAND_CONNECTIONS ?? 50);

export async function commandPath() {
  const service = await startService(serviceEnv(infrastructure()));
  const tokens = await Promise.all(Array.from({ length: ORGS }, (_, i) => token({ sub: `admin-${i}`, orgId: `bench-org-${i}`, orgRole: 255 })));
  const enforced = new Array(ORGS).fill(false);
  let next = 0;
  const results = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      results.push(
        await load({
          url: `${service.url}/mfa/organization/enforce`,
          connections: CONNECTIONS,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          requests: [
            {
              setupRequest: (request) => {
                const org = next++ % ORGS;
                enforced[org] = !enforced[org];
                return { ...request, headers: { ...request.headers, authorization: `Bearer ${tokens[org]}` }, body: JSON.stringify({ enforced: enforced[org] }) };
              },
            },
          ],
        }),
      );
      console.log(`command path run ${run + 1}:`, results[results.length - 1]);
    }
  } finally {
    await service.stop();
  }
  return {
    connections: CONNECTIONS,
    rps: summary(results.map((r) => r.rps)),
    p50: summary(results.map((r) => r.p50), 1),
    p99: summary(results.map((r) => r.p99), 1),
    errors: results.reduce((n, r) => n + r.errors, 0),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await commandPath());
