// Idle cost on the database (issue 17, defect 1): two idle instances on a database holding
// SOAK_SEED_USERS aggregates; prints the database process's CPU while nothing happens. Before the
// pending-outbox markers each instance's relay poll and each backlog scrape read the whole
// user_mfa collection every second (the issue measured 54-62 % CPU at 1,753 users).
//   node bench/idle-db-cost.mjs   (after npm run build; uses the infrastructure of scripts/infra.sh)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { infrastructure, ROOT, serviceEnv } from './lib.mjs';

const USERS = Number(process.env.SOAK_SEED_USERS ?? 1753);
const SECONDS = Number(process.env.IDLE_SECONDS ?? 30);
const PORTS = (process.env.IDLE_SERVICE_PORTS ?? '3782,3783').split(',');
const cpu = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

const infra = infrastructure();
const env = serviceEnv(infra, { MONGO_DB_NAME: `mfa_idle_${Date.now().toString(36)}` });
const mongo = await MongoClient.connect(infra.mongoUrl);
const db = mongo.db(env.MONGO_DB_NAME);
for (let i = 0; i < USERS; i += 500) {
  await db.collection('user_mfa').insertMany(
    Array.from({ length: Math.min(500, USERS - i) }, (_, k) => ({
      _id: `idle-${i + k}`,
      version: 1,
      lastSequence: 0,
      enabledMethods: [],
      methods: {},
      outbox: [],
    })),
  );
}
const children = PORTS.map((port) =>
  spawn(process.execPath, [path.join(ROOT, 'dist/apps/mfa-service/src/main.js')], { env: { ...env, PORT: port }, stdio: 'ignore' }),
);
const infraDir = process.env.MFA_INFRA_DIR ?? path.join(ROOT, '.infra');
const dbPid = Number(readFileSync(path.join(infraDir, 'mongo.pid'), 'utf8'));
await new Promise((resolve) => setTimeout(resolve, 15_000)); // started, start-up sweep done
const before = cpu(dbPid);
const started = Date.now();
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
const share = (cpu(dbPid) - before) / ((Date.now() - started) / 1000);
console.log(`database CPU with two idle instances and ${USERS} aggregates: ${(share * 100).toFixed(1)} % of one core over ${SECONDS} s`);
for (const child of children) child.kill('SIGTERM');
await new Promise((resolve) => setTimeout(resolve, 3000));
await db.dropDatabase();
await mongo.close();
