import { adminClaims, seedAdminMfa } from '../harness/admin-mfa';
import { Topics } from '@mfa/contracts';
import type { EventEnvelope, MembershipEvent } from '@mfa/contracts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { FORCED_RELOGINS_COLLECTION, RunningConsumer, startExampleConsumer } from '../../apps/example-consumer/src/example-consumer';
import { MembershipProjection } from '../../apps/mfa-service/src/membership/membership.projection';
import { memberKey, ORG_MEMBERS_COLLECTION, OrgMemberDocument } from '../../apps/mfa-service/src/membership/org-member.document';
import { decideEnforcement } from '../../apps/mfa-service/src/org-policy/domain/org-policy';
import { ENFORCEMENT_JOBS_COLLECTION } from '../../apps/mfa-service/src/org-policy/enforcement/enforcement-job.document';
import { EnforcementScheduler } from '../../apps/mfa-service/src/org-policy/enforcement/enforcement.scheduler';
import { MemberNoticeWriter } from '../../apps/mfa-service/src/org-policy/enforcement/member-notices.writer';
import { OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';
import { base32Decode, hotp, totpStepAt } from '../../apps/mfa-service/src/user-mfa/factors/totp';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';
import { eventually } from '../harness/eventually';
import { inboxDone, TestProducer, warmUpExampleConsumer } from '../harness/example-consumer';
import { KafkaCollector } from '../harness/kafka-collector';
import { ManualClock, peerEnv, startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';

const OWNER = 255;
const DAY = 86_400_000;
const GRACE_DAYS = 7;
const ALLOWED = ['GOOGLE_AUTH', 'PASSKEY'];

// FerretDB makes each conditional write scan its collection: 1,000 members take minutes there.
jest.setTimeout(330_000);

describe('enforcement lifecycle: fan-out, deadline and downstream re-logins (real database and broker)', () => {
  const clock = new ManualClock(new Date());
  let a: TestApp;
  /** A second instance on the same database (same deployment). */
  let b: TestApp;
  let kafka: KafkaCollector;
  let producer: TestProducer;

  beforeAll(async () => {
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.userMfa]);
    producer = await TestProducer.start();
    // Pages of 300 member ids over batches of 200: page boundaries and partial batches are both crossed.
    a = await startTestApp({ clock, env: { MFA_ENFORCEMENT_PAGE_SIZE: '300' } });
    b = await startTestApp({
      clock,
      env: peerEnv(a, { MFA_ENFORCEMENT_PAGE_SIZE: '300' }),
    });
  });
  afterAll(async () => {
    await b?.app.close();
    await a?.close();
    await producer?.stop();
    await kafka?.stop();
  });

  const auth = async (sub: string, orgId: string, orgRole = 0) => `Bearer ${await a.token({ sub, orgId, orgRole })}`;
  const scheduler = (t: TestApp) => t.app.get(EnforcementScheduler);
  const settle = async () => {
    await Promise.all([a, b].map((t) => t.app.get(OutboxRelay).whenIdle()));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  };
  const noticesOf = (type: string, orgId: string) => kafka.events((e) => e.type === type && (e.data as { orgId?: string }).orgId === orgId);
  const usersOf = (events: EventEnvelope[]) => events.map((e) => e.subject).sort();

  /** An identity-service `UserJoinedOrganization`, as the membership consumer would receive it. */
  const joinEvent = (orgId: string, userId: string, time = new Date(), role = 0): MembershipEvent =>
    ({
      id: randomUUID(),
      source: 'identity-service',
      type: 'UserJoinedOrganization',
      specversion: '1.0',
      time: time.toISOString(),
      subject: userId,
      datacontenttype: 'application/json',
      dataschema: 'urn:identity-service:event:UserJoinedOrganization:v1',
      schemaversion: 1,
      sequence: 1,
      data: { userId, orgId, role },
    }) as MembershipEvent;

  /**
   * The member read model: the first members through the real projection (as if the identity
   * service had published their joins), the rest inserted in the same shape for speed. The first
   * user is the org's OWNER (the identity service's role wins over a token's).
   */
  async function addMembers(orgId: string, userIds: string[]): Promise<void> {
    const projection = a.app.get(MembershipProjection);
    const time = new Date(Date.now() - 60_000);
    const viaProjection = userIds.slice(0, 20);
    for (const [i, userId] of viaProjection.entries()) {
      await projection.apply(joinEvent(orgId, userId, time, i === 0 ? OWNER : 0));
    }
    const shaped = await a.db.collection<OrgMemberDocument>(ORG_MEMBERS_COLLECTION).findOne({ _id: memberKey(orgId, viaProjection[0]) });
    expect(shaped).toMatchObject({ orgId, userId: viaProjection[0], role: OWNER, source: 'event' });
    const rest = userIds.slice(viaProjection.length);
    for (let i = 0; i < rest.length; i += 50) {
      const chunk = rest.slice(i, i + 50);
      await a.db.collection<OrgMemberDocument>(ORG_MEMBERS_COLLECTION).insertMany(
        chunk.map((userId) => ({
          _id: memberKey(orgId, userId),
          orgId,
          userId,
          role: 0,
          source: 'event',
          joinedAt: time,
          lastSeenAt: time,
          membershipUpdatedAt: time,
        })),
      );
      await a.db.collection(USER_MFA_COLLECTION).insertMany(chunk.map((userId) => ({ _id: userId as never, orgId })));
    }
  }

  /** GOOGLE_AUTH through the real HTTP flow (setup → verify-setup with the code an app shows at the service's time). */
  async function enableTotp(userId: string, orgId: string): Promise<void> {
    const setup = await a.http
      .post('/mfa/setup')
      .set('Authorization', await auth(userId, orgId))
      .send({ mfaType: 'GOOGLE_AUTH' });
    expect(setup.status).toBe(200);
    const code = hotp(base32Decode(setup.body.data.secret), totpStepAt(clock.now()));
    const verified = await a.http
      .post('/mfa/verify-setup')
      .set('Authorization', await auth(userId, orgId))
      .send({ mfaType: 'GOOGLE_AUTH', code });
    expect(verified.status).toBe(200);
  }

  const exempt = async (orgId: string, owner: string, userId: string, expiresAt?: Date) => {
    // An exemption lowers security: the owner needs MFA of their own (MAGIC_LINK, which this org's
    // policy does not accept, so the owner still counts as a pending member) and a stepped-up session.
    await seedAdminMfa(a.db, owner, 'MAGIC_LINK');
    const res = await a.http
      .put(`/mfa/organization/exemptions/${userId}`)
      .set('Authorization', `Bearer ${await a.token(adminClaims(owner, orgId, OWNER))}`)
      .send({ reason: 'kiosk account', ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}) });
    expect(res.status).toBe(200);
  };
  const enforce = async (orgId: string, owner: string) => {
    const res = await a.http
      .post('/mfa/organization/enforce')
      .set('Authorization', await auth(owner, orgId, OWNER))
      .send({ enforced: true, gracePeriodDays: GRACE_DAYS, allowedMethods: ALLOWED });
    expect(res.status).toBe(200);
  };

  it('1,000 members: one SetupRequired per pending member, one DeadlinePassed per member still pending (two instances), one re-login each downstream', async () => {
    const orgId = uniqueName('org');
    const users = Array.from({ length: 1000 }, (_, i) => `${orgId}-u${String(i).padStart(4, '0')}`);
    const owner = users[0];
    await addMembers(orgId, users);

    // Compliant (four in ten): three through the real HTTP flow, the rest written in the same document shape.
    for (const userId of users.slice(1, 4)) await enableTotp(userId, orgId);
    const bulkCompliant = users.slice(4, 400);
    await a.db
      .collection(USER_MFA_COLLECTION)
      .updateMany({ _id: { $in: bulkCompliant as never[] } }, { $set: { enabledMethods: ['PASSKEY'], primaryMethod: 'PASSKEY' } });
    // MAGIC_LINK only: not allowed by this org, so still pending.
    await a.db
      .collection(USER_MFA_COLLECTION)
      .updateMany({ _id: { $in: users.slice(400, 410) as never[] } }, { $set: { enabledMethods: ['MAGIC_LINK'], primaryMethod: 'MAGIC_LINK' } });
    // Exempt: two for good, one only until before the deadline.
    const [exemptForGood1, exemptForGood2, exemptUntilDay3] = users.slice(410, 413);
    await exempt(orgId, owner, exemptForGood1);
    await exempt(orgId, owner, exemptForGood2);
    await exempt(orgId, owner, exemptUntilDay3, new Date(clock.now().getTime() + 3 * DAY));

    const compliant = new Set(users.slice(1, 400));
    const exemptNow = new Set([exemptForGood1, exemptForGood2, exemptUntilDay3]);
    const pending = users.filter((u) => !compliant.has(u) && !exemptNow.has(u));
    expect(pending).toHaveLength(598);

    const enforcedAt = clock.now();
    await enforce(orgId, owner);

    // Fan-out: exactly one UserMfaSetupRequired per pending member, keyed by the member.
    await kafka.waitFor(() => noticesOf('UserMfaSetupRequired', orgId).length >= pending.length, 120_000, 'the fan-out');
    await settle();
    const setupRequired = noticesOf('UserMfaSetupRequired', orgId);
    expect(usersOf(setupRequired)).toEqual([...pending].sort());
    const deadline = new Date(enforcedAt.getTime() + GRACE_DAYS * DAY).toISOString();
    for (const event of setupRequired) expect(event.data).toEqual({ userId: event.subject, orgId, deadline });
    const records = kafka.records.filter((r) => r.event?.type === 'UserMfaSetupRequired' && setupRequired.includes(r.event));
    expect(records.every((r) => r.key === r.event?.subject && r.topic === Topics.userMfa && r.headers.ce_actortype === 'system')).toBe(true);
    // (`notified` is a progress figure: a batch repeated after a takeover counts what it wrote, possibly nothing.)
    expect(await a.db.collection(ENFORCEMENT_JOBS_COLLECTION).findOne({ _id: `setup-required:${orgId}:1` as never })).toMatchObject({
      status: 'done',
      scanned: 1000,
    });
    const summary = await a.http.get('/mfa/organization').set('Authorization', await auth(owner, orgId, OWNER));
    expect(summary.body.data.members).toEqual({ total: 1000, compliant: 399, pending: 598, exempt: 3 });

    // A pending member sets up a method: its event comes after its SetupRequired in its own sequence.
    const convert = pending[100];
    await enableTotp(convert, orgId);
    await kafka.waitFor(() => kafka.events((e) => e.subject === convert && e.type === 'MfaMethodEnabled').length === 1, 20_000);
    const own = kafka.events((e) => e.subject === convert);
    expect(own.map((e) => e.type)).toEqual(['UserMfaSetupRequired', 'MfaMethodSetupStarted', 'MfaMethodEnabled']);
    expect(own.map((e) => e.sequence)).toEqual([1, 2, 3]);

    // Downstream: the example consumer, started before the deadline events exist.
    const mongo = await MongoClient.connect(requireInfra().mongoUrl);
    const consumerDb = mongo.db(uniqueName('example_consumer_enforcement'));
    const outboxDir = await mkdtemp(path.join(tmpdir(), 'example-outbox-'));
    const logs: string[] = [];
    let consumer: RunningConsumer | undefined;
    try {
      consumer = await startExampleConsumer({
        brokers: requireInfra().kafkaBrokers.split(','),
        mongoUrl: requireInfra().mongoUrl,
        mongoDbName: consumerDb.databaseName,
        groupId: uniqueName('example-consumer-enforcement'),
        outboxDir,
        log: (_level, message) => logs.push(message),
      });
      await warmUpExampleConsumer(consumerDb, producer);

      // Before the deadline the scheduler has nothing to do.
      await scheduler(a).runDue();
      await settle();
      expect(noticesOf('UserMfaEnforcementDeadlinePassed', orgId)).toEqual([]);

      // Past the deadline: both instances run the scheduler at once, then one runs it again.
      clock.advance(GRACE_DAYS * DAY + 60_000);
      await Promise.all([scheduler(a).runDue(), scheduler(b).runDue()]);
      await scheduler(a).runDue();
      const stillPending = [...pending.filter((u) => u !== convert), exemptUntilDay3].sort();
      await kafka.waitFor(() => noticesOf('UserMfaEnforcementDeadlinePassed', orgId).length >= stillPending.length, 120_000, 'the deadline notices');
      await settle();
      const deadlinePassed = noticesOf('UserMfaEnforcementDeadlinePassed', orgId);
      expect(usersOf(deadlinePassed)).toEqual(stillPending);
      for (const event of deadlinePassed) expect(event.data).toEqual({ userId: event.subject, orgId });
      expect(await a.db.collection(ENFORCEMENT_JOBS_COLLECTION).countDocuments({ _id: `deadline-passed:${orgId}:1` as never, status: 'done' })).toBe(1);

      // Redelivered (a relay crash after sending, a replay): the consumer still logs each member out once.
      const ids = deadlinePassed.map((e) => e.id);
      await eventually(
        () => inboxDone(consumerDb, ids),
        (n) => n === ids.length,
        'the consumer to handle every deadline notice',
        120_000,
      );
      await producer.redeliver(kafka.records.filter((r) => r.event && ids.includes(r.event.id)));
      await eventually(
        async () => logs.filter((m) => m === 'duplicate event skipped').length,
        (n) => n >= ids.length,
        'the redeliveries',
        120_000,
      );
      // The consumer reads the shared topic: other suites' users (resets, their own deadlines) are not this org's.
      const relogins = await consumerDb
        .collection(FORCED_RELOGINS_COLLECTION)
        .find({ userId: { $in: users } }, { projection: { userId: 1, reason: 1, eventId: 1 } })
        .toArray();
      const byEvent = new Map(deadlinePassed.map((e) => [e.id, e.subject]));
      expect(relogins.map((r) => r.userId).sort()).toEqual(stillPending);
      expect(relogins.every((r) => r.reason === 'mfa_enforcement_deadline_passed' && byEvent.get(r.eventId) === r.userId)).toBe(true);
    } finally {
      await consumer?.stop();
      await consumerDb.dropDatabase().catch(() => undefined);
      await mongo.close();
      await rm(outboxDir, { recursive: true, force: true });
    }
  });

  it('a fan-out left half-done by a crashed instance (partial notices, stale checkpoint, lease expired) is finished by another, without duplicates', async () => {
    const orgId = uniqueName('org-crash');
    const users = Array.from({ length: 300 }, (_, i) => `${orgId}-u${String(i).padStart(4, '0')}`);
    const owner = users[0];
    await addMembers(orgId, users);
    const jobId = `setup-required:${orgId}:1`;

    // What the crashed instance left: notices written for the first 150 members, but its last
    // checkpoint says 100 (it died before checkpointing the second batch), and its lease.
    const policy = decideEnforcement(
      null,
      { orgId, enforced: true, gracePeriodDays: GRACE_DAYS, allowedMethods: ALLOWED as never, actorId: owner, affectedUsers: 0 },
      clock.now(),
    ).state;
    const meta = { correlationId: jobId, causationId: jobId, actorId: 'mfa-service', actorType: 'system' as const };
    expect(await a.app.get(MemberNoticeWriter).notify('setup-required', policy, users.slice(0, 150), meta, clock.now())).toBe(150);
    await a.db.collection(ENFORCEMENT_JOBS_COLLECTION).insertOne({
      _id: jobId as never,
      kind: 'setup-required',
      orgId,
      revision: 1,
      status: 'running',
      cursor: `${orgId}:${users[99]}`,
      scanned: 100,
      notified: 100,
      correlationId: jobId,
      causationId: jobId,
      createdAt: new Date(),
      updatedAt: new Date(),
      leaseOwner: 'crashed-instance',
      leaseUntil: new Date(Date.now() + 3_600_000),
    });

    // The policy commit the crashed instance made; its job is still leased, so nobody takes it over yet.
    await enforce(orgId, owner);
    await scheduler(a).runDue();
    await kafka.waitFor(() => noticesOf('UserMfaSetupRequired', orgId).length >= 150, 30_000);
    await settle();
    expect(noticesOf('UserMfaSetupRequired', orgId)).toHaveLength(150);

    // The lease runs out: the other instance resumes from the checkpoint and finishes.
    await a.db.collection(ENFORCEMENT_JOBS_COLLECTION).updateOne({ _id: jobId as never }, { $set: { leaseUntil: new Date(Date.now() - 1_000) } });
    expect(await scheduler(b).runDue()).toContainEqual({ jobId, outcome: 'done' });
    await kafka.waitFor(() => noticesOf('UserMfaSetupRequired', orgId).length >= 300, 60_000, 'the rest of the fan-out');
    await settle();
    expect(usersOf(noticesOf('UserMfaSetupRequired', orgId))).toEqual([...users].sort());
    const job = await a.db.collection(ENFORCEMENT_JOBS_COLLECTION).findOne({ _id: jobId as never });
    expect(job).toMatchObject({ status: 'done', cursor: `${orgId}:${users[299]}`, scanned: 300 });
    expect(job?.leaseOwner).toBeUndefined();
  });

  it('members who join an already enforced org are told once (membership event, redelivered, or first token); compliant joiners are not', async () => {
    const orgId = uniqueName('org');
    const owner = `${orgId}-owner`;
    await addMembers(orgId, [owner]);
    await enforce(orgId, owner);
    await scheduler(a).runDue();
    const joiner = `${orgId}-joiner`;
    const join = joinEvent(orgId, joiner);
    await a.app.get(MembershipProjection).apply(join);
    await a.app.get(MembershipProjection).apply(join); // redelivered
    // First seen through a token (the identity service has not told us yet).
    const viaToken = `${orgId}-token`;
    expect((await a.http.get('/mfa/status').set('Authorization', await auth(viaToken, orgId))).body.data).toMatchObject({ setupRequired: true });
    // Registered by a token on a process that died before the notice was written: the member
    // document exists, and the next request (here to the other instance) tells them.
    const crashed = `${orgId}-crashed`;
    const seenAt = new Date();
    await a.db
      .collection<OrgMemberDocument>(ORG_MEMBERS_COLLECTION)
      .insertOne({ _id: memberKey(orgId, crashed), orgId, userId: crashed, role: 0, source: 'token', joinedAt: seenAt, lastSeenAt: seenAt });
    expect((await b.http.get('/mfa/status').set('Authorization', await auth(crashed, orgId))).status).toBe(200);
    // The token joiner's first request to the other instance tells nobody twice.
    expect((await b.http.get('/mfa/status').set('Authorization', await auth(viaToken, orgId))).status).toBe(200);
    // A joiner who already has an allowed method is not told.
    const ready = `${orgId}-ready`;
    await a.db.collection(USER_MFA_COLLECTION).insertOne({ _id: ready as never, enabledMethods: ['PASSKEY'], primaryMethod: 'PASSKEY' });
    await a.app.get(MembershipProjection).apply(joinEvent(orgId, ready));

    // The owner (no MFA) was told by the fan-out; the three joiners by their joins.
    await kafka.waitFor(() => noticesOf('UserMfaSetupRequired', orgId).length >= 4, 20_000, "the joiners' notices");
    await settle();
    expect(usersOf(noticesOf('UserMfaSetupRequired', orgId))).toEqual([crashed, joiner, owner, viaToken].sort());
    const notice = noticesOf('UserMfaSetupRequired', orgId).find((e) => e.subject === joiner)!;
    expect(notice.causationid).toBe(join.id);
  });
});
