import { encodeEvent, Topics } from '@mfa/contracts';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import { MetricsService } from '../../apps/mfa-service/src/metrics/metrics.service';
import { seedAdminMfa } from '../harness/admin-mfa';
import { eventually } from '../harness/eventually';
import { KafkaCollector } from '../harness/kafka-collector';
import { ManualClock, startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';
import { trustFixture } from '../harness/trust-fixture';

const OWNER = 255;
const ADMIN = 254;
const USER = 0;
const STEPPED_UP = ['pwd', 'otp'];
/** The relay's poll and backlog gauge read their markers and leases on a timer, whatever the requests do. */
const BACKGROUND = new Set(['outbox_pending find', 'outbox_leases find']);

/** `mfa_db_commands_total` of one application, as `collection command` → count. */
async function dbCommands(app: TestApp): Promise<Map<string, number>> {
  const metric = app.app.get(MetricsService).registry.getSingleMetric('mfa_db_commands_total') as Counter<'collection' | 'command'>;
  const { values } = await metric.get();
  return new Map(values.map((v) => [`${v.labels.collection} ${v.labels.command}`, v.value]));
}

/** Membership records this application's consumer processed so far (other suites' records reach it too). */
async function membershipRecordsConsumed(app: TestApp): Promise<number> {
  const metric = app.app.get(MetricsService).registry.getSingleMetric('mfa_membership_events_consumed_total') as Counter<'type' | 'outcome'>;
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/** Commands sent between two readings, background timers left out. */
function sent(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [key, value] of after) {
    const n = value - (before.get(key) ?? 0);
    if (n > 0 && !BACKGROUND.has(key)) delta[key] = n;
  }
  return delta;
}
const total = (delta: Record<string, number>) => Object.values(delta).reduce((a, b) => a + b, 0);

/**
 * Issue 16: the read paths' database budget, measured with the production metric, and the bound on
 * how long the per-process membership cache may honour a demoted admin (MEMBERSHIP_CACHE_TTL_MS).
 */
describe('hot paths: database commands per request (mfa_db_commands_total) and the membership cache bound', () => {
  let t: TestApp;
  let kafka: KafkaCollector;
  let producer: Producer;
  const clock = new ManualClock(new Date());
  // The longest TTL allowed: "refused at once" below can only come from the invalidation.
  const TTL_MS = 10_000;

  beforeAll(async () => {
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.orgPolicy, Topics.userMfa]);
    // Both caches' longest TTLs: a figure with warm caches must not depend on how slow the machine is.
    t = await startTestApp({ clock, env: { MFA_SCHEDULER_INTERVAL_MS: '0', MEMBERSHIP_CACHE_TTL_MS: String(TTL_MS), ORG_POLICY_CACHE_TTL_MS: '60000' } });
    producer = new Kafka({ clientId: uniqueName('identity'), brokers: requireInfra().kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await t.close();
    await kafka.stop();
  });

  const { call, settle, refusedWithoutTrace, member } = trustFixture(
    () => t,
    () => kafka,
    clock,
  );

  /** A record as the identity service publishes it (CloudEvents binary mode, key = userId); resolves once this instance processed it. */
  async function identityEvent(type: string, data: Record<string, unknown>): Promise<void> {
    const id = randomUUID();
    const userId = String(data.userId);
    await producer.send({
      topic: Topics.membership,
      acks: -1,
      messages: [
        encodeEvent({
          id,
          source: 'identity-service',
          type,
          specversion: '1.0',
          time: new Date().toISOString(),
          subject: userId,
          datacontenttype: 'application/json',
          dataschema: `urn:identity-service:event:${type}:v1`,
          schemaversion: 1,
          sequence: 1,
          userid: userId,
          data,
        }),
      ],
    });
    await eventually(
      () => t.db.collection('membership_inbox').countDocuments({ _id: id as never, status: 'done' }),
      (n) => n === 1,
      `${type} ${id}`,
    );
  }

  it('GET /mfa/status and GET /mfa/methods send one database command per request once the caches are warm (the user document)', async () => {
    const enforcedOrg = uniqueName('org-cost');
    const tokenOrg = uniqueName('org-token');
    const userId = uniqueName('user');
    const owner = `owner-${enforcedOrg}`;
    await seedAdminMfa(t.db, owner);
    await member(enforcedOrg, userId, USER); // a second organization, known from identity events
    expect(
      (await call('post', '/mfa/organization/enforce', { sub: owner, orgId: enforcedOrg, orgRole: OWNER, amr: STEPPED_UP }, { enforced: true })).status,
    ).toBe(200);
    const claims = { sub: userId, orgId: tokenOrg, orgRole: USER, amr: ['pwd'] };
    // Warm-up: registers the token's membership, fills the caches.
    expect((await call('get', '/mfa/status', claims)).status).toBe(200);
    expect((await call('get', '/mfa/methods', claims)).status).toBe(200);
    await settle();

    const N = 20;
    for (const path of ['/mfa/status', '/mfa/methods']) {
      // Measured in a window where the membership consumer processed nothing (its writes are not the request's).
      let delta: Record<string, number> = {};
      for (let attempt = 0; attempt < 5; attempt++) {
        expect((await call('get', path, claims)).status).toBe(200); // caches warm again, well within their TTLs
        const consumed = await membershipRecordsConsumed(t);
        const before = await dbCommands(t);
        for (let i = 0; i < N; i++) {
          const res = await call('get', path, claims);
          expect(res.status).toBe(200);
          if (path === '/mfa/status') expect(res.body.data).toMatchObject({ isRequired: true, enforcedBy: [enforcedOrg] });
        }
        delta = sent(before, await dbCommands(t));
        if ((await membershipRecordsConsumed(t)) === consumed) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      expect({ path, delta }).toEqual({ path, delta: { 'user_mfa find': N } });
      expect(total(delta) / N).toBeLessThanOrEqual(1);
    }

    // The same counter on /metrics, for production dashboards.
    const metrics = await t.http.get('/metrics');
    expect(metrics.text).toMatch(/mfa_db_commands_total\{collection="user_mfa",command="find"\} \d+/);
  });

  it('a demoted admin is refused at once when this instance processes the role change (the cache is invalidated)', async () => {
    const orgId = uniqueName('org-demote');
    const admin = uniqueName('admin');
    await seedAdminMfa(t.db, admin);
    await identityEvent('UserJoinedOrganization', { userId: admin, orgId, role: ADMIN });
    const adminClaims = { sub: admin, orgId, orgRole: ADMIN, amr: STEPPED_UP };
    expect((await call('get', '/mfa/organization', adminClaims)).status).toBe(200); // cached: an ADMINISTRATOR
    const cachedAt = Date.now();

    await identityEvent('UserRoleChanged', { userId: admin, orgId, role: USER });
    expect(Date.now() - cachedAt).toBeLessThan(TTL_MS); // still within the TTL: only the invalidation can refuse now
    expect((await call('get', '/mfa/organization', adminClaims)).status).toBe(403);
    await refusedWithoutTrace({ orgs: [orgId] }, async () => {
      const res = await call('post', '/mfa/organization/enforce', adminClaims, { enforced: true });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ success: false, code: 'FORBIDDEN' });
    });
  });

  it('a demotion processed by another instance is honoured within MEMBERSHIP_CACHE_TTL_MS', async () => {
    const bound = 1_500;
    const other = await startTestApp({
      clock,
      env: { MONGO_DB_NAME: t.env.MONGO_DB_NAME, MEMBERSHIP_CACHE_TTL_MS: String(bound), MFA_SCHEDULER_INTERVAL_MS: '0' },
    });
    try {
      const orgId = uniqueName('org-demote-other');
      const admin = uniqueName('admin');
      await seedAdminMfa(t.db, admin);
      await member(orgId, admin, ADMIN);
      const adminClaims = { sub: admin, orgId, orgRole: ADMIN, amr: STEPPED_UP };
      const get = async () => (await other.http.get('/mfa/organization').set('Authorization', `Bearer ${await other.token(adminClaims)}`)).status;
      expect(await get()).toBe(200); // cached on `other`

      // Another instance's consumer applies the downgrade: `other` learns it only from the database.
      const demotedAt = Date.now();
      await member(orgId, admin, USER);
      const probes: Array<{ startedAfterMs: number; status: number }> = [];
      for (;;) {
        const startedAfterMs = Date.now() - demotedAt;
        probes.push({ startedAfterMs, status: await get() });
        if (startedAfterMs > bound) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Every request that started later than the bound after the change is refused.
      expect(probes.filter((p) => p.startedAfterMs > bound).map((p) => p.status)).toEqual([403]);
      // And a refusal changes nothing.
      const before = await t.db.collection('org_policies').findOne({ _id: orgId as never });
      const res = await other.http
        .post('/mfa/organization/enforce')
        .set('Authorization', `Bearer ${await other.token(adminClaims)}`)
        .send({ enforced: true });
      expect(res.status).toBe(403);
      await settle();
      expect(await t.db.collection('org_policies').findOne({ _id: orgId as never })).toEqual(before);
      expect(kafka.events((e) => e.subject === orgId)).toEqual([]);
    } finally {
      await other.app.close();
    }
  });
});
