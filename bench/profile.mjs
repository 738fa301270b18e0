// Profiles the built service under load (node --cpu-prof) and prints where the CPU went:
//   node bench/profile.mjs status|enforce [seconds]
// The .cpuprofile lands in bench/.profiles/ (open it in Chrome DevTools → Performance).
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { adminClaims, enforceToggles, infrastructure, load, ROOT, seedAdminMfa, serviceEnv, startService, token } from './lib.mjs';

const target = process.argv[2] ?? 'status';
const seconds = Number(process.argv[3] ?? 10);
const dir = path.join(ROOT, 'bench', '.profiles', `${target}-${Date.now().toString(36)}`);
mkdirSync(dir, { recursive: true });

/** Self time by function and by package/file, from a V8 .cpuprofile. */
export function summarize(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map();
  const byPkg = new Map();
  for (const [id, us] of self) {
    const { callFrame: f } = byId.get(id);
    const where = f.url.replace(/^file:\/\//, '').replace(ROOT + '/', '');
    const fn = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    const pkg =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ??
      (where.startsWith('dist/') ? 'service code' : where.startsWith('node:') ? 'node core' : f.functionName || '(native)');
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
  }
  const pct = (us) => `${((us / total) * 100).toFixed(1)} %`;
  const sort = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    totalMs: Math.round(total / 1000),
    functions: sort(byFn).map(([k, v]) => `${pct(v).padStart(7)}  ${k}`),
    packages: sort(byPkg).map(([k, v]) => `${pct(v).padStart(7)}  ${k}`),
  };
}

const serviceConfig = serviceEnv(infrastructure());
const service = await startService(serviceConfig, ['--cpu-prof', '--cpu-prof-dir', dir]);
try {
  if (target === 'status') {
    const auth = `Bearer ${await token({ sub: 'bench-user', orgId: 'bench-org', orgRole: 0 })}`;
    console.log(await load({ url: `${service.url}/mfa/status`, connections: 50, duration: seconds, headers: { authorization: auth } }));
  } else {
    const orgs = 1000;
    const mongo = await MongoClient.connect(infrastructure().mongoUrl);
    await seedAdminMfa(
      mongo.db(serviceConfig.MONGO_DB_NAME),
      Array.from({ length: orgs }, (_, i) => `admin-${i}`),
    );
    await mongo.close();
    const tokens = await Promise.all(Array.from({ length: orgs }, (_, i) => token(adminClaims(`admin-${i}`, `prof-org-${i}`))));
    console.log(
      await load({
        url: `${service.url}/mfa/organization/enforce`,
        connections: 50,
        duration: seconds,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: enforceToggles(tokens),
      }),
    );
  }
} finally {
  await service.stop();
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
const summary = summarize(path.join(dir, file));
console.log(
  `profile: ${path.join(dir, file)} (${summary.totalMs} ms sampled)\n\nSelf time by package:\n${summary.packages.join('\n')}\n\nTop functions:\n${summary.functions.join('\n')}`,
);
