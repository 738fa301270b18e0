// Benchmark 1 and 7: GET /mfa/status (JWT verification + database read) against the
// baseline GET /health/live (no auth, no database), same process, same run, at several loads.
import { infrastructure, load, serviceEnv, startService, summary, token } from './lib.mjs';

const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '10,50,200').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

export async function queryPath() {
  const service = await startService(serviceEnv(infrastructure()));
  const auth = `Bearer ${await token({ sub: 'bench-user', orgId: 'bench-org', orgRole: 0 })}`;
  const rows = [];
  try {
    await load({ url: `${service.url}/mfa/status`, connections: 10, duration: 2, headers: { authorization: auth } }); // warm-up
    for (const connections of CONNECTIONS) {
      const live = [];
      const status = [];
      for (let run = 0; run < RUNS; run++) {
        live.push(await load({ url: `${service.url}/health/live`, connections }));
        status.push(await load({ url: `${service.url}/mfa/status`, connections, headers: { authorization: auth } }));
      }
      const ratio = status.map((s, i) => s.rps / live[i].rps);
      rows.push({
        connections,
        baselineRps: summary(live.map((r) => r.rps)),
        statusRps: summary(status.map((r) => r.rps)),
        ratio:
          summary(
            ratio.map((r) => r * 100),
            0,
          ) + ' %',
        statusP50: summary(
          status.map((r) => r.p50),
          1,
        ),
        statusP99: summary(
          status.map((r) => r.p99),
          1,
        ),
        errors: status.reduce((n, r) => n + r.errors, 0),
      });
      console.log(`query path @${connections}:`, rows[rows.length - 1]);
    }
  } finally {
    await service.stop();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await queryPath();
