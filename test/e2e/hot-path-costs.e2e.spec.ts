import { encodeEvent, Topics } from '@mfa/contracts';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import { MetricsService } from '../../apps/mfa-service/src/metrics/metrics.service';
import { OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';
import { seedAdminMfa } from '../harness/admin-mfa';
import { dbCommands } from '../harness/db-commands';
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

  const { call, settle, refusedWithoutTrace, member, codeAt, doc, eventsAbout } = trustFixture(
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

  /** What `request` answered and the commands it sent; measured again (a fresh request) when the membership consumer wrote meanwhile. */
  async function measured<T>(request: () => Promise<T>): Promise<{ result: T; delta: Record<string, number>; attempts: T[] }> {
    const attempts: T[] = [];
    for (;;) {
      const consumed = await membershipRecordsConsumed(t);
      const before = await dbCommands(t);
      const result = await request();
      attempts.push(result);
      const delta = sent(before, await dbCommands(t));
      if ((await membershipRecordsConsumed(t)) === consumed || attempts.length === 5) return { result, delta, attempts };
    }
  }

  it('POST /mfa/verify-login sends two database commands before it answers — the user document and one guarded write — whatever the outcome', async () => {
    const orgId = uniqueName('org-login');
    const userId = uniqueName('user-login');
    const owner = `owner-${orgId}`;
    await seedAdminMfa(t.db, owner);
    await member(orgId, userId, USER);
    await member(`${orgId}-other`, userId, USER); // a second organization: not this login's context
    const enforce = { enforced: true, allowedMethods: ['GOOGLE_AUTH', 'PASSKEY'] };
    expect((await call('post', '/mfa/organization/enforce', { sub: owner, orgId, orgRole: OWNER, amr: STEPPED_UP }, enforce)).status).toBe(200);
    const claims = { sub: userId, orgId, orgRole: USER, amr: ['pwd'] };
    const setup = await call('post', '/mfa/setup', { ...claims, amr: STEPPED_UP }, { mfaType: 'GOOGLE_AUTH' });
    expect(setup.status).toBe(200);
    const secret = (setup.body.data as { secret: string }).secret;
    expect((await call('post', '/mfa/verify-setup', { ...claims, amr: STEPPED_UP }, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret) })).status).toBe(200);
    const login = async (code: string) => {
      clock.advance(30_000); // the next TOTP step: each code is accepted once
      const res = await call('post', '/mfa/verify-login', claims, { mfaType: 'GOOGLE_AUTH', code: code || codeAt(secret) });
      return { status: res.status as number, code: res.body.code as string | undefined };
    };
    expect((await login('')).status).toBe(200); // warm-up: the org's policy is cached
    await settle();

    // The relay is woken right after each commit and would publish in the same window: its wake-ups
    // are held back while the requests are measured, then delivered (the events must still arrive).
    const relay = t.app.get(OutboxRelay);
    const held: Array<[string, string]> = [];
    const wake = jest.spyOn(relay, 'wake').mockImplementation((collection, id) => void held.push([collection, id]));
    const runs: Array<Awaited<ReturnType<typeof measured<{ status: number; code?: string }>>>> = [];
    try {
      for (let i = 0; i < 3; i++) runs.push(await measured(() => login('')));
      // A wrong code: counted (a guarded write and MfaVerificationFailed), the same two commands.
      runs.push(await measured(() => login(codeAt(secret) === '000000' ? '111111' : '000000')));
    } finally {
      wake.mockRestore();
    }
    const two = { 'user_mfa find': 1, 'user_mfa update': 1 };
    expect(runs.map(({ result, delta }) => ({ ...result, delta }))).toEqual([
      { status: 200, code: undefined, delta: two },
      { status: 200, code: undefined, delta: two },
      { status: 200, code: undefined, delta: two },
      { status: 400, code: 'VERIFICATION_FAILED', delta: two },
    ]);
    // A method the organization excludes: refused from the cached policy after one read of the user's
    // exemption there (an exemption would allow it); nothing written or published.
    await refusedWithoutTrace({ users: [userId] }, async () => {
      const { result, delta } = await measured(async () => {
        const res = await call('post', '/mfa/verify-login', claims, { mfaType: 'MAGIC_LINK', token: 'x'.repeat(43) });
        return { status: res.status, body: res.body as Record<string, unknown> };
      });
      expect(result.status).toBe(403);
      expect(result.body).toMatchObject({ success: false, code: 'METHOD_NOT_ALLOWED' });
      expect(delta).toEqual({ 'org_exemptions find': 1 });
    });

    // The held wake-ups, delivered: every login's event is published, in order, and the outbox drains.
    for (const [collection, id] of held) relay.wake(collection, id);
    const types = async () =>
      eventsAbout(userId)
        .filter((e) => e.type.startsWith('MfaVerification'))
        .map((e) => e.type);
    const logins = runs.flatMap((run) => run.attempts);
    const expected = ['MfaVerificationSucceeded', ...logins.map((l) => (l.status === 200 ? 'MfaVerificationSucceeded' : 'MfaVerificationFailed'))];
    await eventually(types, (all) => all.length === expected.length, "every login's event");
    expect(await types()).toEqual(expected);
    const sequences = eventsAbout(userId).map((e) => e.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    await eventually(
      async () => (await doc(userId))?.outbox ?? [],
      (outbox) => outbox.length === 0,
      'outbox drained',
    );
  });

  it('a user command whose outbox another instance holds leaves a marker, and the poll publishes it once the lease is released', async () => {
    const userId = uniqueName('user-leased');
    const claims = { sub: userId, orgId: uniqueName('org-leased'), orgRole: USER, amr: STEPPED_UP };
    const key = `user_mfa:${userId}`;
    // Another instance is publishing this user's outbox (a live lease): this instance's wake-up cannot claim it.
    await t.db.collection('outbox_leases').insertOne({ _id: key as never, owner: 'another-instance', until: new Date(Date.now() + 60_000) });
    try {
      expect((await call('post', '/mfa/setup', claims, { mfaType: 'GOOGLE_AUTH' })).status).toBe(200);
      await eventually(
        () => t.db.collection('outbox_pending').findOne({ _id: key as never }),
        (marker) => marker !== null,
        'a marker for the outbox leased elsewhere',
      );
      expect(eventsAbout(userId)).toEqual([]);
    } finally {
      await t.db.collection('outbox_leases').deleteOne({ _id: key as never });
    }
    await eventually(
      async () => eventsAbout(userId).map((e) => e.type),
      (types) => types.includes('MfaMethodSetupStarted'),
      'published by the poll after the lease is released',
      15_000,
    );
    await eventually(
      () => t.db.collection('outbox_pending').findOne({ _id: key as never }),
      (marker) => marker === null,
      'marker cleared once the outbox is drained',
    );
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
