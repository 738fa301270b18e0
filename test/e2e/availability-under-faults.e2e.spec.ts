import { Topics } from '@mfa/contracts';
import { MongoClient } from 'mongodb';
import { IsolatedKafka } from '../harness/isolated-kafka';
import { KafkaCollector } from '../harness/kafka-collector';
import { ServiceProcess, startServiceProcess } from '../harness/service-process';
import { TcpProxy } from '../harness/tcp-proxy';
import { requireInfra, serviceEnv, uniqueName } from '../harness/test-env';
import { signToken } from '../harness/tokens';
import { adminClaims, seedAdminMfa } from '../harness/admin-mfa';
import { eventually } from '../harness/eventually';

/**
 * The soak of issue 17 (bench/soak.mjs) in small: two instances on one database (behind a TCP
 * proxy the test freezes) and a private broker (which it stops), under steady load, through one
 * Kafka outage, one database freeze with a SIGTERM in it, and one SIGKILL. Requirements 44–48.
 */
const OPERATION_TIMEOUT_MS = 1000;
const GRACE_MS = 3000;

interface Outcome {
  at: number;
  ms: number;
  status: number; // 0: no answer (connection refused or reset: the instance is down)
  code?: string;
  kind: 'enforce' | 'status';
}

describe('availability under faults (Kafka outage, database freeze, SIGTERM, SIGKILL)', () => {
  const kafka = new IsolatedKafka('kafka-faults', 29192);
  let mongo: MongoClient;
  let proxy: TcpProxy;

  beforeAll(async () => {
    kafka.start({ fresh: true });
    const target = new URL(requireInfra().mongoUrl);
    proxy = new TcpProxy(target.hostname, Number(target.port || 27017));
    await proxy.start();
    mongo = await MongoClient.connect(requireInfra().mongoUrl);
  });
  afterAll(async () => {
    proxy.thaw();
    await proxy.cut();
    kafka.stop();
    await mongo.close();
  });

  it('0 events lost, 503 (never 500) and fast during the freeze, readiness green during the Kafka outage, SIGTERM bounded by SHUTDOWN_GRACE_MS', async () => {
    const dbName = uniqueName('mfa_faults');
    const env = serviceEnv({
      KAFKA_BROKERS: kafka.brokers,
      MONGO_URL: `mongodb://127.0.0.1:${proxy.port}/`,
      MONGO_DB_NAME: dbName,
      MONGO_TIMEOUT_MS: '5000', // start-up right after the thaw, on a busy machine
      MONGO_OPERATION_TIMEOUT_MS: String(OPERATION_TIMEOUT_MS),
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      LOG_LEVEL: 'info',
    });
    const instances: Array<ServiceProcess | null> = [await startServiceProcess(env, 60_000), await startServiceProcess(env, 60_000)];
    // Subscribed once the services have created their topics (with all their partitions): a consumer
    // that subscribes first sees only the partitions of an auto-created topic until its metadata refresh.
    const collector = await KafkaCollector.start(kafka.brokers, [Topics.orgPolicy, Topics.userMfa], { fromBeginning: true });
    const outputs: string[] = [];
    const orgs = Array.from({ length: 6 }, () => uniqueName('org-fault'));
    // The toggles lift enforcement too, which lowers security: owners with MFA and stepped-up sessions.
    for (const orgId of orgs) await seedAdminMfa(mongo.db(dbName), `owner-${orgId}`);
    const tokens = await Promise.all(orgs.map((orgId) => signToken(adminClaims(`owner-${orgId}`, orgId, 255))));
    const outcomes: Outcome[] = [];
    let running = true;

    async function call(kind: Outcome['kind'], worker: number, turn: number): Promise<void> {
      const live = instances.filter((i): i is ServiceProcess => i !== null);
      if (live.length === 0) return;
      const instance = live[turn % live.length];
      const started = Date.now();
      try {
        const res =
          kind === 'enforce'
            ? await fetch(`${instance.url}/mfa/organization/enforce`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[worker]}` },
                body: JSON.stringify({ enforced: turn % 2 === 0 }),
                signal: AbortSignal.timeout(15_000),
              })
            : await fetch(`${instance.url}/mfa/status`, { headers: { authorization: `Bearer ${tokens[worker]}` }, signal: AbortSignal.timeout(15_000) });
        const body = (await res.json().catch(() => ({}))) as { code?: string };
        outcomes.push({ at: started, ms: Date.now() - started, status: res.status, code: body.code, kind });
      } catch {
        outcomes.push({ at: started, ms: Date.now() - started, status: 0, kind });
      }
    }
    // One worker per org (no two requests on one org at once), alternating instances like a load balancer.
    const load = orgs.map(async (_, worker) => {
      for (let turn = 0; running; turn++) {
        await call(turn % 3 === 2 ? 'status' : 'enforce', worker, turn + worker);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
    const between = (from: number, to: number) => outcomes.filter((o) => o.at >= from && o.at < to);
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    try {
      await sleep(3000);

      // 1. Kafka outage: commands keep succeeding; readiness stays green, reporting Kafka down and the backlog.
      const outageStart = Date.now();
      await kafka.stopAsync();
      for (const instance of instances) {
        const ready = await eventually(
          () =>
            fetch(`${instance!.url}/health/ready`).then(async (r) => ({
              status: r.status,
              body: (await r.json()) as { checks: Record<string, string>; outbox: { backlogEvents: number } },
            })),
          (r) => r.body.checks.kafka === 'down' && r.body.outbox.backlogEvents > 0,
          'readiness reporting Kafka down with a backlog',
          15_000,
        );
        expect(ready.status).toBe(200);
        expect(ready.body.checks.database).toBe('up');
      }
      await sleep(4000);
      const outageEnd = Date.now();
      const duringOutage = between(outageStart, outageEnd);
      expect(duringOutage.filter((o) => o.kind === 'enforce').length).toBeGreaterThan(10);
      expect(duringOutage.every((o) => o.status === 200)).toBe(true);
      await kafka.startAsync();
      const kafkaBack = Date.now();

      // 2. Database freeze: answers are quick 503s, never 500; readiness red; a SIGTERM in the middle is bounded.
      await sleep(2000);
      const freezeStart = Date.now();
      proxy.freeze();
      await sleep(OPERATION_TIMEOUT_MS + 500);
      const frozenReady = await fetch(`${instances[1]!.url}/health/ready`);
      expect(frozenReady.status).toBe(503);
      // A scrape does no database work (the gauges read the relay's last count): it answers at once,
      // where one database read would have waited for the operation timeout.
      const scrapeStarted = Date.now();
      const scrape = await fetch(`${instances[1]!.url}/metrics`);
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toMatch(/^mfa_outbox_backlog_events \d+$/m);
      expect(Date.now() - scrapeStarted).toBeLessThan(OPERATION_TIMEOUT_MS);
      const terminated = instances[0]!;
      const termSent = Date.now();
      terminated.kill('SIGTERM');
      const termExit = await terminated.exited;
      const shutdownMs = Date.now() - termSent;
      instances[0] = null;
      outputs.push(terminated.output());
      await sleep(2000);
      proxy.thaw();
      const freezeEnd = Date.now();
      expect(termExit.code).toBe(0);
      expect(shutdownMs).toBeLessThanOrEqual(GRACE_MS + 500);
      expect(terminated.output()).toContain('shutdown: waiting for in-flight requests');
      const duringFreeze = between(freezeStart, freezeEnd).filter((o) => o.status !== 0);
      expect(duringFreeze.some((o) => o.status === 503)).toBe(true);
      for (const o of duringFreeze) {
        expect([200, 503]).toContain(o.status);
        if (o.status === 503) expect(o.code).toBe('SERVICE_UNAVAILABLE');
      }
      // Fast failure: a request that started in the freeze waited for one bounded operation, not the freeze.
      const startedFrozen = between(freezeStart + 200, freezeEnd - 3000).filter((o) => o.status === 503);
      expect(startedFrozen.length).toBeGreaterThan(0);
      for (const o of startedFrozen) expect(o.ms).toBeLessThan(OPERATION_TIMEOUT_MS * 3 + 500);

      // 3. SIGKILL one instance under load and start both again.
      instances[0] = await startServiceProcess(env, 60_000);
      await sleep(1500);
      const killed = instances[1]!;
      killed.kill('SIGKILL');
      await killed.exited;
      outputs.push(killed.output());
      instances[1] = null;
      instances[1] = await startServiceProcess(env, 60_000);
      const allBack = Date.now();
      await sleep(4000);
      running = false;
      await Promise.all(load);

      // After the faults: service is back for almost everyone.
      const after = between(allBack + 1000, Date.now());
      expect(after.filter((o) => o.status === 200).length / after.length).toBeGreaterThanOrEqual(0.95);
      expect(outcomes.filter((o) => o.status >= 500 && o.status !== 503)).toEqual([]);

      // 0 lost: every committed event (per aggregate 1..lastSequence, read from the database directly)
      // reaches Kafka; first deliveries in sequence order per key.
      // Read again on every check: background enforcement jobs may still append notices after the load.
      const db = mongo.db(dbName);
      const owed = new Map<string, number>();
      const readOwed = async () => {
        owed.clear();
        for (const doc of await db
          .collection('org_policies')
          .find({}, { projection: { lastSequence: 1 } })
          .toArray())
          owed.set(`org:${String(doc._id)}`, doc.lastSequence ?? 0);
        for (const doc of await db
          .collection('user_mfa')
          .find({}, { projection: { lastSequence: 1 } })
          .toArray())
          owed.set(`user:${String(doc._id)}`, doc.lastSequence ?? 0);
      };
      const keyOf = (r: (typeof collector.records)[number]) => `${r.topic === Topics.orgPolicy ? 'org' : 'user'}:${r.key}`;
      await eventually(
        async () => {
          await readOwed();
          const seen = new Map<string, Set<number>>();
          for (const r of collector.records) seen.set(keyOf(r), (seen.get(keyOf(r)) ?? new Set()).add(Number(r.headers.ce_sequence)));
          return [...owed].filter(([key, n]) => (seen.get(key)?.size ?? 0) < n).map(([key]) => key);
        },
        (missing) => missing.length === 0,
        'every committed event on Kafka',
        60_000,
      ).catch(async (error: Error) => {
        // What was left where, to tell a stuck relay from a lost marker from a slow collector.
        const markers = await db.collection('outbox_pending').find({}).toArray();
        const waiting = await db
          .collection('org_policies')
          .find({ outboxSince: { $exists: true } }, { projection: { lastSequence: 1, 'outbox.sequence': 1 } })
          .toArray();
        const leases = await db.collection('outbox_leases').find({}).toArray();
        const ready = await Promise.all(instances.map((i) => (i ? fetch(`${i.url}/health/ready`).then((r) => r.text()) : 'down')));
        throw new Error(
          `${error.message}\nmarkers ${JSON.stringify(markers)}\nwaiting ${JSON.stringify(waiting)}\nleases ${JSON.stringify(leases)}\nready ${ready.join(' | ')}\n` +
            `collected ${collector.records.length}\n${instances
              .map((i) =>
                i
                  ?.output()
                  .split('\n')
                  .filter((l) => /warn|error|relay|outbox/i.test(l))
                  .slice(-15)
                  .join('\n'),
              )
              .join('\n----\n')}`,
        );
      });
      const total = [...owed.values()].reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThan(30);
      for (const [key, n] of owed) {
        const firsts: number[] = [];
        for (const r of collector.records.filter((rec) => keyOf(rec) === key)) {
          const sequence = Number(r.headers.ce_sequence);
          if (!firsts.includes(sequence)) firsts.push(sequence);
        }
        // First deliveries strictly in sequence order, none missing (a later notice may have arrived meanwhile).
        expect(firsts.length).toBeGreaterThanOrEqual(n);
        expect(firsts).toEqual(Array.from({ length: firsts.length }, (_, i) => i + 1));
      }
      // And the backlog drained after Kafka came back (readiness reports it from the markers).
      const drained = await eventually(
        () => fetch(`${instances[0]!.url}/health/ready`).then((r) => r.json() as Promise<{ outbox: { backlogEvents: number } }>),
        (r) => r.outbox.backlogEvents === 0,
        'backlog 0',
        30_000,
      );
      expect(drained.outbox.backlogEvents).toBe(0);
      expect(Date.now() - kafkaBack).toBeLessThan(90_000);

      // Consumers backed off during the outage instead of crash-looping (was one crash every 0.6 s).
      for (const output of outputs) expect((output.match(/"msg":"consumer crashed"/g) ?? []).length).toBeLessThanOrEqual(5);
      console.log(
        `faults e2e: ${outcomes.length} requests, ${total} events owed and delivered, ` +
          `${collector.records.length - [...owed.values()].reduce((a, b) => a + b, 0)} duplicates, SIGTERM in a freeze ${shutdownMs} ms, ` +
          `503s in the freeze ${duringFreeze.filter((o) => o.status === 503).length} (max ${Math.max(...startedFrozen.map((o) => o.ms))} ms), ` +
          `consumer crashes logged per instance ${outputs.map((o) => (o.match(/"msg":"consumer crashed"/g) ?? []).length).join(', ')}`,
      );
    } finally {
      running = false;
      proxy.thaw();
      await Promise.all(load);
      for (const instance of instances) {
        if (!instance) continue;
        instance.kill('SIGTERM');
        await instance.exited;
      }
      await collector.stop();
      await mongo.db(dbName).dropDatabase();
    }
  }, 180_000);

  it('an outbox without its pending marker (a crash between marking and committing races the relay) is found by the start-up sweep', async () => {
    const env = serviceEnv({ KAFKA_BROKERS: kafka.brokers, MONGO_DB_NAME: uniqueName('mfa_sweep') });
    const orgId = uniqueName('org-sweep');
    const first = await startServiceProcess(env, 60_000);
    await kafka.stopAsync();
    try {
      const res = await fetch(`${first.url}/mfa/organization/enforce`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await signToken({ sub: `owner-${orgId}`, orgId, orgRole: 255 })}` },
        body: JSON.stringify({ enforced: true, gracePeriodDays: 3 }),
      });
      expect(res.status).toBe(200);
      first.kill('SIGKILL');
      await first.exited;
    } finally {
      await kafka.startAsync();
    }
    const db = mongo.db(env.MONGO_DB_NAME);
    const stored = await db.collection('org_policies').findOne({ _id: orgId as never });
    expect(stored?.outbox).toHaveLength(1);
    // Only the marker goes: the in-document outbox stays the source of truth.
    expect((await db.collection('outbox_pending').deleteOne({ _id: `org_policies:${orgId}` } as never)).deletedCount).toBe(1);

    const collector = await KafkaCollector.start(kafka.brokers, [Topics.orgPolicy], { fromBeginning: true });
    const second = await startServiceProcess(env, 60_000);
    try {
      const events = await collector.waitFor((all) => all.some((e) => e.subject === orgId), 30_000, 'the unmarked event');
      expect(events.filter((e) => e.subject === orgId)).toEqual([expect.objectContaining({ type: 'OrgMfaEnforced', sequence: 1, id: stored?.outbox[0].id })]);
      await eventually(
        () => db.collection('outbox_pending').countDocuments({}),
        (n) => n === 0,
        'markers cleared after publishing',
        15_000,
      );
      expect(second.output()).toContain('outbox sweep: pending outboxes marked');
    } finally {
      second.kill('SIGTERM');
      await second.exited;
      await collector.stop();
      await db.dropDatabase();
    }
  }, 180_000);
});
