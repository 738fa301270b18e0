import { Topics } from '@mfa/contracts';
import { BSON } from 'mongodb';
import { adminClaims, seedAdminMfa } from '../harness/admin-mfa';
import { eventually } from '../harness/eventually';
import { KafkaCollector } from '../harness/kafka-collector';
import { startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';
import { memberKey, ORG_MEMBERS_COLLECTION } from '../../apps/mfa-service/src/membership/org-member.document';
import { ORG_EXEMPTIONS_COLLECTION } from '../../apps/mfa-service/src/org-policy/infra/org-exemption.document';
import { ORG_POLICY_COLLECTION } from '../../apps/mfa-service/src/org-policy/infra/org-policy.document';
import { decideGrantExemption } from '../../apps/mfa-service/src/org-policy/domain/org-policy';
import { OrgPolicyRepository } from '../../apps/mfa-service/src/org-policy/infra/org-policy.repository';
import { OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';

const OWNER = 255;
const DAY = 86_400_000;
const EXEMPTIONS = 100_000;
/** Of the exempt users, this many are also members (the rest have left: their exemptions still exist). */
const EXEMPT_MEMBERS = 1_000;
const BATCH = 5_000;
const pad = (i: number) => String(i).padStart(6, '0');

/**
 * Bounded data (issue 12): exemptions live in their own collection, one document per member, so
 * an organization with 100,000 of them still works — grant, revoke, status, the members report,
 * the counts and the enforcement fan-out — while its policy document stays small.
 */
describe('an organization with 100,000 exemptions', () => {
  let t: TestApp;
  let kafka: KafkaCollector;
  const orgId = uniqueName('org-100k');
  const owner = 'owner-100k';
  const nonExempt = ['n-1', 'n-2', 'n-3'];
  const target = 'g-1';
  let ownerAuth: string;
  const userAuth = async (sub: string) => `Bearer ${await t.token({ sub, orgId, orgRole: 0 })}`;
  const status = async (sub: string) => (await t.http.get('/mfa/status').set('Authorization', await userAuth(sub))).body.data;
  const orgDoc = () => t.db.collection(ORG_POLICY_COLLECTION).findOne({ _id: orgId as never });
  const settle = async () => {
    await t.app.get(OutboxRelay).whenIdle();
    await new Promise((resolve) => setTimeout(resolve, 400));
  };
  const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await work();
    process.stdout.write(`100k exemptions: ${label} in ${Date.now() - started} ms\n`);
    return result;
  };

  beforeAll(async () => {
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.orgPolicy, Topics.userMfa]);
    // FerretDB answers `exemptions: n` by scanning all 100,000 (MongoDB from the orgId_userId_v1 index):
    // on the shared machine that alone can take 30 s, the suites' usual bound per operation.
    t = await startTestApp({ env: { MONGO_OPERATION_TIMEOUT_MS: '120000' } });
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 30 * DAY);
    await timed(`seeding ${EXEMPTIONS} exemption documents`, async () => {
      for (let from = 0; from < EXEMPTIONS; from += BATCH) {
        const docs = Array.from({ length: Math.min(BATCH, EXEMPTIONS - from) }, (_, i) => {
          const userId = `e-${pad(from + i)}`;
          return {
            _id: memberKey(orgId, userId),
            orgId,
            userId,
            reason: 'seeded',
            expiresAt,
            grantedBy: owner,
            grantedAt: now,
            revision: 0,
            activeUntil: expiresAt,
          };
        });
        await t.db.collection(ORG_EXEMPTIONS_COLLECTION).insertMany(docs as never[], { ordered: false });
      }
    });
    const members = [owner, target, ...nonExempt, ...Array.from({ length: EXEMPT_MEMBERS }, (_, i) => `e-${pad(i * (EXEMPTIONS / EXEMPT_MEMBERS))}`)];
    await t.db.collection(ORG_MEMBERS_COLLECTION).insertMany(
      members.map((userId) => ({
        _id: memberKey(orgId, userId),
        orgId,
        userId,
        role: userId === owner ? OWNER : 0,
        source: 'event',
        managed: false,
        joinedAt: now,
        lastSeenAt: now,
        membershipUpdatedAt: now,
      })) as never[],
    );
    await seedAdminMfa(t.db, owner);
    ownerAuth = `Bearer ${await t.token(adminClaims(owner, orgId, OWNER))}`;
  }, 300_000);
  afterAll(async () => {
    await t?.close();
    await kafka?.stop();
  });

  it('enforcing counts and notifies only the members who are not exempt', async () => {
    const res = await timed('enforce', () =>
      t.http.post('/mfa/organization/enforce').set('Authorization', ownerAuth).send({ enforced: true, gracePeriodDays: 7 }),
    );
    expect(res.status).toBe(200);
    await kafka.waitFor((all) => all.some((e) => e.subject === orgId && e.type === 'OrgMfaEnforced'), 20_000, 'OrgMfaEnforced');
    const [enforced] = kafka.events((e) => e.subject === orgId && e.type === 'OrgMfaEnforced');
    // Members without MFA and without an exemption: the three, and the target (not exempt yet).
    expect(enforced.data).toMatchObject({ affectedUsers: nonExempt.length + 1 });

    // The fan-out reads each member's exemption by `_id`: only the four are told.
    const pending = [target, ...nonExempt].sort();
    const isNotice = (e: { type: string; data: unknown }) => e.type === 'UserMfaSetupRequired' && (e.data as { orgId?: string }).orgId === orgId;
    await kafka.waitFor((all) => all.filter(isNotice).length >= pending.length, 120_000, 'setup-required notices');
    await eventually(
      () => t.db.collection('enforcement_jobs').findOne({ orgId, kind: 'setup-required' }),
      (job) => job?.status === 'done',
      'the fan-out to finish',
      120_000,
    );
    await settle();
    const notified = kafka.events(isNotice).map((e) => e.subject);
    expect(notified.sort()).toEqual(pending);

    const policy = await timed('GET /mfa/organization', () => t.http.get('/mfa/organization').set('Authorization', ownerAuth));
    expect(policy.status).toBe(200);
    expect(policy.body.data).toMatchObject({
      enforced: true,
      exemptions: EXEMPTIONS,
      members: { total: EXEMPT_MEMBERS + 2 + nonExempt.length, compliant: 1, exempt: EXEMPT_MEMBERS, pending: nonExempt.length + 1 },
    });
  });

  it('status: one exempt and one not, each read by its own point read', async () => {
    expect(await timed('status of an exempt member', () => status('e-050000'))).toMatchObject({
      exempt: true,
      isEnforced: false,
      isRequired: false,
      setupRequired: false,
    });
    expect(await status('n-1')).toMatchObject({ exempt: false, isEnforced: true, isRequired: true, setupRequired: true, requiredBy: 'organization' });
  });

  it('grants and revokes one through the API; a refused revoke changes nothing', async () => {
    const grant = await timed('grant', () => t.http.put(`/mfa/organization/exemptions/${target}`).set('Authorization', ownerAuth).send({ reason: 'Kiosk' }));
    expect(grant.status).toBe(200);
    expect(await status(target)).toMatchObject({ exempt: true, isEnforced: false });
    const stored = await t.db.collection(ORG_EXEMPTIONS_COLLECTION).findOne({ _id: memberKey(orgId, target) as never });
    expect(stored).toMatchObject({ orgId, userId: target, reason: 'Kiosk', grantedBy: owner });
    expect((await t.http.get('/mfa/organization').set('Authorization', ownerAuth)).body.data.exemptions).toBe(EXEMPTIONS + 1);

    const revoke = await timed('revoke', () => t.http.delete(`/mfa/organization/exemptions/${target}`).set('Authorization', ownerAuth));
    expect(revoke.status).toBe(200);
    expect(await status(target)).toMatchObject({ exempt: false, isEnforced: true });

    const isExemptionEvent = (e: { subject: string; type: string }) => e.subject === orgId && e.type.startsWith('UserMfaExemption');
    await kafka.waitFor((all) => all.filter(isExemptionEvent).length >= 2, 20_000, 'the grant and revoke events');
    const events = kafka.events(isExemptionEvent) as Array<{ type: string; sequence: number; data: Record<string, unknown> }>;
    expect(events.map((e) => [e.type, e.sequence])).toEqual([
      ['UserMfaExemptionGranted', 2],
      ['UserMfaExemptionRevoked', 3],
    ]);
    expect(events[1].data).toEqual({ orgId, userId: target, grantedBy: owner, reason: 'Kiosk', expiresAt: events[0].data.expiresAt, revokedBy: owner });

    // Revoking again: 404, and neither the policy, the exemption nor the stream moved.
    await settle();
    const before = { org: await orgDoc(), exemption: await t.db.collection(ORG_EXEMPTIONS_COLLECTION).findOne({ _id: memberKey(orgId, target) as never }) };
    const count = kafka.events((e) => e.subject === orgId).length;
    const again = await t.http.delete(`/mfa/organization/exemptions/${target}`).set('Authorization', ownerAuth);
    expect([again.status, again.body.code]).toEqual([404, 'EXEMPTION_NOT_FOUND']);
    await settle();
    expect({ org: await orgDoc(), exemption: await t.db.collection(ORG_EXEMPTIONS_COLLECTION).findOne({ _id: memberKey(orgId, target) as never }) }).toEqual(
      before,
    );
    expect(kafka.events((e) => e.subject === orgId)).toHaveLength(count);
  });

  it('a change committed with its event but not applied (a crash between the two writes) counts at once and is applied by the next read', async () => {
    const orgs = t.app.get(OrgPolicyRepository);
    const loaded = await orgs.load(orgId);
    const now = new Date();
    const grant = {
      orgId,
      userId: 'n-2',
      reason: 'crash',
      expiresAt: null,
      maxExpiresAt: new Date(now.getTime() + 30 * DAY),
      actorId: owner,
      revision: loaded.version + 1,
    };
    // The policy write alone, as the exemption commands make it; the process "dies" before applying it.
    await orgs.commit(
      orgId,
      loaded,
      decideGrantExemption(loaded.state, null, grant, now),
      { correlationId: 'c-crash', causationId: 'c-crash', actorId: owner, actorType: 'admin' },
      now,
    );
    const key = memberKey(orgId, 'n-2');
    expect(await t.db.collection(ORG_EXEMPTIONS_COLLECTION).findOne({ _id: key as never })).toBeNull();
    expect(Object.keys((await orgDoc())?.exemptionChanges ?? {})).toHaveLength(1);

    // Status reads the pending change; the event is published like any other.
    expect(await status('n-2')).toMatchObject({ exempt: true, isEnforced: false });
    await kafka.waitFor(
      (all) => all.some((e) => e.subject === orgId && e.type === 'UserMfaExemptionGranted' && (e.data as { userId: string }).userId === 'n-2'),
      20_000,
      'the committed grant',
    );

    // The next read of the org's members applies it, and it leaves the policy document.
    const page = await t.http.get('/mfa/organization/members?status=exempt&limit=1').set('Authorization', ownerAuth);
    expect(page.status).toBe(200);
    expect(await t.db.collection(ORG_EXEMPTIONS_COLLECTION).findOne({ _id: key as never })).toMatchObject({
      userId: 'n-2',
      reason: 'crash',
      revision: grant.revision,
    });
    expect((await orgDoc())?.exemptionChanges).toEqual({});

    expect((await t.http.delete('/mfa/organization/exemptions/n-2').set('Authorization', ownerAuth)).status).toBe(200);
    expect(await status('n-2')).toMatchObject({ exempt: false, isEnforced: true });
  });

  it('the members report pages through exempt members', async () => {
    const first = await timed('a page of exempt members', () => t.http.get('/mfa/organization/members?status=exempt&limit=10').set('Authorization', ownerAuth));
    expect(first.status).toBe(200);
    expect(first.body.data.items).toHaveLength(10);
    expect(first.body.data.items.every((m: { status: string; exemptUntil: string | null }) => m.status === 'exempt' && m.exemptUntil !== null)).toBe(true);
    expect(first.body.data.nextCursor).toBe(first.body.data.items[9].userId);
    const second = await t.http.get(`/mfa/organization/members?status=exempt&limit=10&cursor=${first.body.data.nextCursor}`).set('Authorization', ownerAuth);
    expect(second.body.data.items[0].userId > first.body.data.nextCursor).toBe(true);
  });

  it('the policy document stays small: no exemption in it, no change left pending', async () => {
    const doc = await orgDoc();
    expect(doc?.exemptions).toBeUndefined();
    expect(doc?.exemptionChanges).toEqual({});
    const bytes = BSON.calculateObjectSize(doc!);
    process.stdout.write(`100k exemptions: the policy document is ${bytes} bytes of BSON\n`);
    expect(bytes).toBeLessThan(2_048);
    // The seeded ones, and the revoked ones kept a day (g-1, n-2).
    expect(await t.db.collection(ORG_EXEMPTIONS_COLLECTION).countDocuments({ orgId })).toBe(EXEMPTIONS + 2);
  });
});
