import { Topics } from '@mfa/contracts';
import { MongoClient } from 'mongodb';
import { memberKey, ORG_MEMBERS_COLLECTION } from '../../apps/mfa-service/src/membership/org-member.document';
import { dbCommands } from '../harness/db-commands';
import { ENFORCEMENT_JOBS_COLLECTION } from '../../apps/mfa-service/src/org-policy/enforcement/enforcement-job.document';
import { MemberNoticeWriter } from '../../apps/mfa-service/src/org-policy/enforcement/member-notices.writer';
import { FAR_FUTURE, ORG_EXEMPTIONS_COLLECTION } from '../../apps/mfa-service/src/org-policy/infra/org-exemption.document';
import { OrgPolicyRepository } from '../../apps/mfa-service/src/org-policy/infra/org-policy.repository';
import { OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';
import { eventually } from '../harness/eventually';
import { KafkaCollector } from '../harness/kafka-collector';
import { ManualClock, peerEnv, startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';

const OWNER = 255;
const MEMBERS = 1_000;
/** What the writer sends per batch of 200 members: the markers before and after, the guarded updates, the checkpoint. */
const BATCH = 200;

jest.setTimeout(300_000);

/** Write commands (`insert`, `update`, `delete`, `findAndModify`) of one application, by `collection command`. */
async function writeCommands(app: TestApp): Promise<Map<string, number>> {
  return new Map([...(await dbCommands(app))].filter(([key]) => / (insert|update|delete|findAndModify)$/.test(key)));
}

function delta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const sent: Record<string, number> = {};
  for (const [key, value] of after) if (value - (before.get(key) ?? 0) > 0) sent[key] = value - (before.get(key) ?? 0);
  return sent;
}
const total = (sent: Record<string, number>) => Object.values(sent).reduce((a, b) => a + b, 0);

/**
 * The write counters once the instance's membership consumer has caught up: the suites before this
 * one left identity events on the shared membership topic, and applying them writes too (inbox,
 * member read model, users' documents) — not the fan-out's writes.
 */
async function quietWriteCommands(t: TestApp): Promise<Map<string, number>> {
  let last = await writeCommands(t);
  for (let waited = 0; waited < 60_000; waited += 2_000) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const now = await writeCommands(t);
    if ([...now].every(([key, value]) => last.get(key) === value)) return now;
    last = now;
  }
  throw new Error('the instance kept writing for 60 s before the enforcement');
}

/**
 * Issue 16, fan-out budget: the notices of an enforcement cost the database one write per member at
 * most, amortized — measured with the production metric (`mfa_db_commands_total`). Instance A runs the
 * fan-out with its relay shut down, so every write it sends is the fan-out's own; instance B (same
 * database) then publishes what A left in the outboxes, and every member is told exactly once.
 */
describe('fan-out: database writes per member notified (mfa_db_commands_total)', () => {
  const clock = new ManualClock(new Date());
  let a: TestApp;
  let b: TestApp | undefined;
  let kafka: KafkaCollector;
  let mongo: MongoClient;

  beforeAll(async () => {
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.userMfa]);
    a = await startTestApp({ clock, env: { MFA_SCHEDULER_INTERVAL_MS: '0' } });
    mongo = await MongoClient.connect(requireInfra().mongoUrl);
  });
  afterAll(async () => {
    await b?.app.close();
    await a?.close();
    await mongo?.close();
    await kafka?.stop();
  });

  it(`${MEMBERS} members without MFA: the fan-out sends ≤ 0.05 write commands per member (one update per batch), and each member is told once`, async () => {
    const db = mongo.db(a.env.MONGO_DB_NAME);
    const orgId = uniqueName('org');
    const owner = `${orgId}-owner`;
    const users = [owner, ...Array.from({ length: MEMBERS - 1 }, (_, i) => `${orgId}-u${String(i).padStart(4, '0')}`)];
    const joinedAt = new Date(Date.now() - 60_000);
    await db.collection(ORG_MEMBERS_COLLECTION).insertMany(
      users.map((userId, i) => ({
        _id: memberKey(orgId, userId) as never,
        orgId,
        userId,
        role: i === 0 ? OWNER : 0,
        source: 'event',
        joinedAt,
        lastSeenAt: joinedAt,
        membershipUpdatedAt: joinedAt,
      })),
    );
    // Every write A sends from here is the fan-out's (or the enforce request's): its relay publishes nothing.
    await a.app.get(OutboxRelay).onModuleDestroy();
    const before = await quietWriteCommands(a);

    const res = await a.http
      .post('/mfa/organization/enforce')
      .set('Authorization', `Bearer ${await a.token({ sub: owner, orgId, orgRole: OWNER })}`)
      .send({ enforced: true, gracePeriodDays: 7 });
    expect(res.status).toBe(200);
    const job = await eventually(
      () => db.collection(ENFORCEMENT_JOBS_COLLECTION).findOne({ _id: `setup-required:${orgId}:1` as never }),
      (doc) => doc?.status === 'done',
      'the fan-out job',
      240_000,
    );
    expect(job).toMatchObject({ scanned: MEMBERS, notified: MEMBERS });
    const sent = delta(before, await writeCommands(a));

    // Each member's notice is in its own outbox, with its once-per-deadline marker, before any publication.
    const notified = await db
      .collection(USER_MFA_COLLECTION)
      .countDocuments({ _id: { $in: users as never[] }, 'outbox.type': 'UserMfaSetupRequired', enforcementNotices: { $size: 1 } });
    expect(notified).toBe(MEMBERS);

    // The notices: per batch of 200, the relay markers before and after, one update command with each
    // member's guarded write, and the job's checkpoint — about 4 commands per 200 members.
    const batches = Math.ceil(MEMBERS / BATCH);
    // (+1: the owner's first token registers the membership, which touches the owner's user_mfa document.)
    expect(sent[`${USER_MFA_COLLECTION} update`]).toBe(batches + 1);
    expect(sent[`${ENFORCEMENT_JOBS_COLLECTION} update`]).toBe(batches + 1);
    // The enforce request itself (policy commit, job creation, claim and finish) adds a handful.
    expect(total(sent)).toBeLessThanOrEqual(4 * batches + 10);
    expect(total(sent) / MEMBERS).toBeLessThanOrEqual(0.05);

    // Another instance publishes them: every member told exactly once, keyed by the member.
    b = await startTestApp({
      clock,
      env: peerEnv(a, { MFA_SCHEDULER_INTERVAL_MS: '0' }),
    });
    const setupRequired = () => kafka.events((e) => e.type === 'UserMfaSetupRequired' && (e.data as { orgId?: string }).orgId === orgId);
    await kafka.waitFor(() => setupRequired().length >= MEMBERS, 240_000, 'the notices');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(
      setupRequired()
        .map((e) => e.subject)
        .sort(),
    ).toEqual([...users].sort());
    expect(setupRequired().every((e) => e.sequence === 1)).toBe(true);
  });

  it('exempt members are spared (their exemptions read among 300 of former members), the others told', async () => {
    expect(b).toBeDefined();
    const t = b!;
    const db = mongo.db(t.env.MONGO_DB_NAME);
    const orgId = uniqueName('org');
    const [owner, exemptA, pendingM, exemptZ] = ['owner', 'a', 'm', 'z'].map((suffix) => `${orgId}-${suffix}`);
    const at = new Date(Date.now() - 60_000);
    await db.collection(ORG_MEMBERS_COLLECTION).insertMany(
      [owner, exemptA, pendingM, exemptZ].map((userId) => ({
        _id: memberKey(orgId, userId) as never,
        orgId,
        userId,
        role: userId === owner ? OWNER : 0,
        source: 'event',
        joinedAt: at,
        lastSeenAt: at,
        membershipUpdatedAt: at,
      })),
    );
    // Stored as a committed exemption change leaves them; 300 of former members sort between the members' keys.
    const exemption = (userId: string) => ({
      _id: memberKey(orgId, userId) as never,
      orgId,
      userId,
      reason: 'kiosk account',
      expiresAt: null,
      grantedBy: owner,
      grantedAt: at,
      revision: 1,
      activeUntil: FAR_FUTURE,
    });
    const formerMembers = Array.from({ length: 300 }, (_, i) => `${orgId}-b${String(i).padStart(3, '0')}`);
    await db.collection(ORG_EXEMPTIONS_COLLECTION).insertMany([exemptA, exemptZ, ...formerMembers].map(exemption));

    const res = await t.http
      .post('/mfa/organization/enforce')
      .set('Authorization', `Bearer ${await t.token({ sub: owner, orgId, orgRole: OWNER })}`)
      .send({ enforced: true, gracePeriodDays: 7 });
    expect(res.status).toBe(200);
    await eventually(
      () => db.collection(ENFORCEMENT_JOBS_COLLECTION).findOne({ _id: `setup-required:${orgId}:1` as never }),
      (doc) => doc?.status === 'done',
      'the fan-out job',
      120_000,
    );
    const setupRequired = () => kafka.events((e) => e.type === 'UserMfaSetupRequired' && (e.data as { orgId?: string }).orgId === orgId);
    await kafka.waitFor(() => setupRequired().length >= 2, 60_000, 'the notices');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(
      setupRequired()
        .map((e) => e.subject)
        .sort(),
    ).toEqual([owner, pendingM].sort());
    // The exempt members' documents were not written (no marker, no event).
    expect(
      await db.collection(USER_MFA_COLLECTION).countDocuments({ _id: { $in: [exemptA, exemptZ] as never[] }, enforcementNotices: { $exists: true } }),
    ).toBe(0);
  });

  it('two instances notifying the same new members at once (concurrent upserts, duplicate keys in one bulk command): each member told exactly once', async () => {
    expect(b).toBeDefined();
    const db = mongo.db(a.env.MONGO_DB_NAME);
    const orgId = uniqueName('org');
    const owner = `${orgId}-owner`;
    const res = await b!.http
      .post('/mfa/organization/enforce')
      .set('Authorization', `Bearer ${await b!.token({ sub: owner, orgId, orgRole: OWNER })}`)
      .send({ enforced: true, gracePeriodDays: 7 });
    expect(res.status).toBe(200);
    const { state } = await b!.app.get(OrgPolicyRepository).load(orgId);
    // No documents yet: both instances decide to create each one, and one of the two upserts loses.
    const users = Array.from({ length: 300 }, (_, i) => `${orgId}-new${String(i).padStart(3, '0')}`);
    const meta = { correlationId: orgId, causationId: orgId, actorId: 'mfa-service', actorType: 'system' as const };
    const written = await Promise.all([a, b!].map((t) => t.app.get(MemberNoticeWriter).notify('setup-required', state!, users, meta, clock.now())));
    expect(written[0] + written[1]).toBeLessThanOrEqual(users.length);

    const notices = () => kafka.events((e) => e.type === 'UserMfaSetupRequired' && users.includes(e.subject ?? ''));
    await kafka.waitFor(() => notices().length >= users.length, 120_000, 'the notices');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(
      notices()
        .map((e) => e.subject)
        .sort(),
    ).toEqual(users);
    expect(notices().every((e) => e.sequence === 1)).toBe(true);
    const docs = await db
      .collection(USER_MFA_COLLECTION)
      .find({ _id: { $in: users as never[] } })
      .toArray();
    expect(docs.map((d) => [d.version, d.lastSequence, d.enforcementNotices.length])).toEqual(users.map(() => [1, 1, 1]));
  });
});
