import { Topics } from '@mfa/contracts';
import type { EventEnvelope } from '@mfa/contracts';
import { randomUUID } from 'node:crypto';
import { KafkaCollector } from '../harness/kafka-collector';
import { startTestApp, TestApp } from '../harness/test-app';
import { adminClaims, seedAdminMfa } from '../harness/admin-mfa';
import { requireInfra, uniqueName } from '../harness/test-env';
import { ORG_POLICY_COLLECTION } from '../../apps/mfa-service/src/org-policy/infra/org-policy.document';
import { ORG_EXEMPTIONS_COLLECTION } from '../../apps/mfa-service/src/org-policy/infra/org-exemption.document';
import { OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';

const OWNER = 255;
const ADMIN = 254;

describe('organization MFA enforcement (HTTP → MongoDB → outbox → Kafka)', () => {
  let t: TestApp;
  let kafka: KafkaCollector;

  beforeAll(async () => {
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.orgPolicy, Topics.userMfa]);
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    await kafka.stop();
  });

  const newOrg = () => uniqueName('org');
  /**
   * Admins here have MFA and a stepped-up session, so they may also lower security (lift, exempt);
   * the trust-model suite covers admins without either. Their MFA is an email link, which the
   * policies these tests enforce exclude, so admins count as pending members as before.
   */
  const auth = async (sub: string, orgId?: string, orgRole?: number, options = { seedMfa: true }) => {
    if (orgId && (orgRole === OWNER || orgRole === ADMIN)) {
      if (options.seedMfa) await seedAdminMfa(t.db, sub, 'MAGIC_LINK');
      return `Bearer ${await t.token(adminClaims(sub, orgId, orgRole))}`;
    }
    return `Bearer ${await t.token({ sub, orgId, orgRole })}`;
  };
  const enforce = async (orgId: string, body: unknown, role = OWNER, sub = `admin-${orgId}`, headers: Record<string, string> = {}) =>
    t.http
      .post('/mfa/organization/enforce')
      .set('Authorization', await auth(sub, orgId, role))
      .set(headers)
      .send(body as object);
  const orgEvents = (orgId: string) => kafka.events((e) => e.subject === orgId);
  const settle = async () => {
    await t.app.get(OutboxRelay).whenIdle();
    await new Promise((resolve) => setTimeout(resolve, 400));
  };

  it('an admin’s enforce produces exactly one OrgMfaEnforced with the documented envelope and no secrets', async () => {
    const orgId = newOrg();
    const requestId = `req-${randomUUID()}`;
    const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    const res = await enforce(orgId, { enforced: true, gracePeriodDays: 7, allowedMethods: ['PASSKEY', 'GOOGLE_AUTH'] }, OWNER, 'owner-1', {
      'x-request-id': requestId,
      traceparent,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, message: 'MFA enforcement enabled for organization' });

    const [event] = await kafka.waitFor((all) => all.some((e) => e.subject === orgId), 15_000, 'OrgMfaEnforced');
    const records = kafka.records.filter((r) => r.key === orgId);
    expect(records).toHaveLength(1);
    const record = records[0];
    expect(record.topic).toBe(Topics.orgPolicy);
    expect(record.headers).toMatchObject({
      'content-type': 'application/json',
      ce_specversion: '1.0',
      ce_type: 'OrgMfaEnforced',
      ce_source: 'mfa-service',
      ce_subject: orgId,
      ce_orgid: orgId,
      ce_sequence: '1',
      ce_schemaversion: '1',
      ce_dataschema: 'urn:mfa-service:event:OrgMfaEnforced:v1',
      ce_correlationid: requestId,
      ce_causationid: requestId,
      ce_actorid: 'owner-1',
      ce_actortype: 'admin',
      ce_traceparent: traceparent,
    });
    expect(record.headers.ce_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(record.headers.ce_replay).toBeUndefined();
    const event0 = orgEvents(orgId)[0] ?? event;
    expect(event0.data).toEqual({
      orgId,
      enforcedBy: 'owner-1',
      gracePeriodDays: 7,
      enforcementDeadline: expect.any(String),
      allowedMethods: ['GOOGLE_AUTH', 'PASSKEY'],
      affectedUsers: 1,
      rememberDeviceDays: 0,
    });
    const deadline = new Date((event0.data as { enforcementDeadline: string }).enforcementDeadline).getTime();
    expect(deadline - new Date(event0.time).getTime()).toBe(7 * 24 * 3600 * 1000);

    // Stored: state written, outbox drained, the event in the append-only log.
    await settle();
    const doc = await t.db.collection(ORG_POLICY_COLLECTION).findOne({ _id: orgId as never });
    expect(doc).toMatchObject({ enforced: true, gracePeriodDays: 7, version: 1, lastSequence: 1, outbox: [] });
    expect(doc?.outboxSince).toBeUndefined();
    const logged = await t.db.collection('event_log').findOne({ _id: record.headers.ce_id as never });
    expect(logged).toMatchObject({ type: 'OrgMfaEnforced', key: orgId, sequence: 1, topic: Topics.orgPolicy });

    // Repeating the same enforcement is a 200 no-op: no second event, no new version.
    const again = await enforce(orgId, { enforced: true, gracePeriodDays: 7, allowedMethods: ['GOOGLE_AUTH', 'PASSKEY'] });
    expect(again.status).toBe(200);
    expect(again.body.message).toBe('MFA enforcement enabled for organization');
    await settle();
    expect(orgEvents(orgId)).toHaveLength(1);
    expect((await t.db.collection(ORG_POLICY_COLLECTION).findOne({ _id: orgId as never }))?.version).toBe(1);
  });

  it('changing settings emits OrgMfaEnforced again; lifting emits OrgMfaEnforcementLifted; lifting twice is a no-op', async () => {
    const orgId = newOrg();
    expect((await enforce(orgId, { enforced: true })).status).toBe(200);
    expect((await enforce(orgId, { enforced: true, gracePeriodDays: 14 })).status).toBe(200);
    const lifted = await enforce(orgId, { enforced: false }, ADMIN, 'admin-2');
    expect(lifted.status).toBe(200);
    expect(lifted.body).toEqual({ success: true, message: 'MFA enforcement disabled for organization' });
    expect((await enforce(orgId, { enforced: false })).status).toBe(200);
    const events = await kafka.waitFor((all) => all.filter((e) => e.subject === orgId).length >= 3, 15_000);
    await settle();
    const mine = orgEvents(orgId);
    expect(mine.map((e) => [e.type, e.sequence])).toEqual([
      ['OrgMfaEnforced', 1],
      ['OrgMfaEnforced', 2],
      ['OrgMfaEnforcementLifted', 3],
    ]);
    expect(mine[2].data).toEqual({ orgId, liftedBy: 'admin-2' });
    expect(events.length).toBeGreaterThan(0);
  });

  describe('who may change the policy', () => {
    it('a token without an organization → 400 "User not associated with an organization"', async () => {
      const res = await t.http
        .post('/mfa/organization/enforce')
        .set('Authorization', await auth('lonely'))
        .send({ enforced: true });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, error: 'User not associated with an organization', code: 'NO_ORGANIZATION' });
    });

    it.each([
      ['USER', 0],
      ['BILLING', 1],
      ['WORKSPACES', 2],
    ])('role %s → 403 FORBIDDEN, nothing written', async (_name, role) => {
      const orgId = newOrg();
      const res = await enforce(orgId, { enforced: true }, role);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ success: false, code: 'FORBIDDEN' });
      expect(await t.db.collection(ORG_POLICY_COLLECTION).countDocuments({ _id: orgId as never })).toBe(0);
    });

    it('the role check comes before body validation', async () => {
      const res = await enforce(newOrg(), { enforced: 'yes' }, 0);
      expect(res.status).toBe(403);
    });

    it('no token → 401', async () => {
      const res = await t.http.post('/mfa/organization/enforce').send({ enforced: true });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ success: false, error: 'Unauthorized', code: 'UNAUTHORIZED' });
    });
  });

  describe('bad input: 400 VALIDATION_FAILED, nothing written, no event', () => {
    const cases: Array<[string, unknown, string]> = [
      ['enforced missing', {}, 'enforced'],
      ['enforced a string', { enforced: 'true' }, 'enforced'],
      ['enforced a number', { enforced: 1 }, 'enforced'],
      ['enforced null', { enforced: null }, 'enforced'],
      ['gracePeriodDays negative', { enforced: true, gracePeriodDays: -1 }, 'gracePeriodDays'],
      ['gracePeriodDays over 90', { enforced: true, gracePeriodDays: 91 }, 'gracePeriodDays'],
      ['gracePeriodDays fractional', { enforced: true, gracePeriodDays: 1.5 }, 'gracePeriodDays'],
      ['gracePeriodDays null', { enforced: true, gracePeriodDays: null }, 'gracePeriodDays'],
      ['gracePeriodDays a string', { enforced: true, gracePeriodDays: '7' }, 'gracePeriodDays'],
      ['an unknown allowed method', { enforced: true, allowedMethods: ['SMS'] }, 'allowedMethods'],
      ['BACKUP_CODE as an allowed method', { enforced: true, allowedMethods: ['BACKUP_CODE'] }, 'allowedMethods'],
      ['an empty allowed list', { enforced: true, allowedMethods: [] }, 'allowedMethods'],
      ['duplicate allowed methods', { enforced: true, allowedMethods: ['PASSKEY', 'PASSKEY'] }, 'allowedMethods'],
      ['allowedMethods not an array', { enforced: true, allowedMethods: 'PASSKEY' }, 'allowedMethods'],
      ['settings while lifting', { enforced: false, gracePeriodDays: 3 }, 'enforced'],
      ['an unknown field', { enforced: true, force: true }, 'force'],
    ];

    it.each(cases)('%s', async (_name, body, field) => {
      const orgId = newOrg();
      const res = await enforce(orgId, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, error: 'Validation failed', code: 'VALIDATION_FAILED' });
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await t.db.collection(ORG_POLICY_COLLECTION).countDocuments({ _id: orgId as never })).toBe(0);
      await settle();
      expect(orgEvents(orgId)).toHaveLength(0);
    });
  });

  describe('policy, compliance report, exemptions and status', () => {
    const orgId = uniqueName('org-report');
    const owner = 'owner-r';
    const members = ['m-a', 'm-b', 'm-c'];
    let ownerAuth: string;

    beforeAll(async () => {
      // No MFA yet: before enforcing, the owner is one of those a policy would affect.
      ownerAuth = await auth(owner, orgId, OWNER, { seedMfa: false });
      // First contact through a token registers membership.
      for (const sub of members) {
        expect((await t.http.get('/mfa/status').set('Authorization', await auth(sub, orgId, 0))).status).toBe(200);
      }
      await t.db.collection('user_mfa').updateOne({ _id: 'm-a' as never }, { $set: { enabledMethods: ['GOOGLE_AUTH'], primaryMethod: 'GOOGLE_AUTH' } });
      await t.db.collection('user_mfa').updateOne({ _id: 'm-b' as never }, { $set: { enabledMethods: ['MAGIC_LINK'], primaryMethod: 'MAGIC_LINK' } });
    });

    it('before enforcing, the report shows who would be affected', async () => {
      const res = await t.http.get('/mfa/organization/members?status=pending').set('Authorization', ownerAuth);
      expect(res.status).toBe(200);
      expect(res.body.data.items.map((m: { userId: string }) => m.userId)).toEqual(['m-c', owner]);
    });

    it('enforcing with MAGIC_LINK excluded: email does not satisfy the policy', async () => {
      expect((await enforce(orgId, { enforced: true, gracePeriodDays: 3, allowedMethods: ['GOOGLE_AUTH', 'PASSKEY'] }, OWNER, owner)).status).toBe(200);
      const res = await t.http.get('/mfa/organization').set('Authorization', ownerAuth);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({
        orgId,
        enforced: true,
        enforcedBy: owner,
        gracePeriodDays: 3,
        allowedMethods: ['GOOGLE_AUTH', 'PASSKEY'],
        exemptions: 0,
        members: { total: 4, compliant: 1, pending: 3, exempt: 0 },
      });
      expect(res.body.data.enforcementDeadline).toEqual(expect.any(String));

      const statusB = await t.http.get('/mfa/status').set('Authorization', await auth('m-b', orgId, 0));
      expect(statusB.body.data).toMatchObject({
        isEnabled: true,
        isEnforced: true,
        isRequired: true,
        setupRequired: true,
        requiredBy: 'organization',
        exempt: false,
        enforcementDeadline: res.body.data.enforcementDeadline,
      });
      const statusA = await t.http.get('/mfa/status').set('Authorization', await auth('m-a', orgId, 0));
      expect(statusA.body.data).toMatchObject({ isEnforced: true, setupRequired: false });
    });

    it('exempting a member: event, status and counts follow; revoking undoes it', async () => {
      await seedAdminMfa(t.db, owner, 'MAGIC_LINK'); // an exemption lowers security: the owner needs MFA
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const put = await t.http.put('/mfa/organization/exemptions/m-c').set('Authorization', ownerAuth).send({ reason: 'Kiosk account', expiresAt });
      expect(put.status).toBe(200);
      expect(put.body).toEqual({ success: true, message: 'MFA exemption granted' });

      const status = await t.http.get('/mfa/status').set('Authorization', await auth('m-c', orgId, 0));
      expect(status.body.data).toMatchObject({ exempt: true, isEnforced: false, isRequired: false, setupRequired: false, requiredBy: null });
      const exempt = await t.http.get('/mfa/organization/members?status=exempt').set('Authorization', ownerAuth);
      expect(exempt.body.data.items).toEqual([
        {
          userId: 'm-c',
          status: 'exempt',
          isEnabled: false,
          enabledMethods: [],
          methodCounts: { passkeys: 0, authenticatorApps: 0, emailAddresses: 0, backupCodesRemaining: 0 },
          exempt: true,
          exemptUntil: expiresAt,
        },
      ]);
      const policy = await t.http.get('/mfa/organization').set('Authorization', ownerAuth);
      expect(policy.body.data.members).toEqual({ total: 4, compliant: 1, pending: 2, exempt: 1 });

      const del = await t.http.delete('/mfa/organization/exemptions/m-c').set('Authorization', ownerAuth);
      expect(del.status).toBe(200);
      expect(del.body).toEqual({ success: true, message: 'MFA exemption revoked' });
      const again = await t.http.delete('/mfa/organization/exemptions/m-c').set('Authorization', ownerAuth);
      expect(again.status).toBe(404);
      expect(again.body).toMatchObject({ success: false, code: 'EXEMPTION_NOT_FOUND' });

      const events = await kafka.waitFor((all) => all.filter((e) => e.subject === orgId).length >= 3, 15_000);
      const types = events.filter((e) => e.subject === orgId).map((e: EventEnvelope) => e.type);
      expect(types).toEqual(['OrgMfaEnforced', 'UserMfaExemptionGranted', 'UserMfaExemptionRevoked']);
      const granted = orgEvents(orgId)[1];
      expect(granted.data).toEqual({ orgId, userId: 'm-c', grantedBy: owner, reason: 'Kiosk account', expiresAt });
      expect(orgEvents(orgId)[2].data).toMatchObject({ userId: 'm-c', revokedBy: owner, reason: 'Kiosk account' });
    });

    it('exemption bad input: other org’s user 404, past expiry 400, missing reason 400, bad id 400', async () => {
      const otherOrg = uniqueName('org-other');
      await t.http.get('/mfa/status').set('Authorization', await auth('outsider', otherOrg, 0));
      const outsider = await t.http.put('/mfa/organization/exemptions/outsider').set('Authorization', ownerAuth).send({ reason: 'x' });
      expect(outsider.status).toBe(404);
      expect(outsider.body).toEqual({ success: false, error: 'User not found', code: 'USER_NOT_FOUND' });
      const unknown = await t.http.put('/mfa/organization/exemptions/nobody').set('Authorization', ownerAuth).send({ reason: 'x' });
      expect(unknown.status).toBe(404);

      const past = await t.http
        .put('/mfa/organization/exemptions/m-a')
        .set('Authorization', ownerAuth)
        .send({ reason: 'late', expiresAt: new Date(Date.now() - 1000).toISOString() });
      expect(past.status).toBe(400);
      expect(past.body.details).toEqual([expect.objectContaining({ field: 'expiresAt' })]);
      for (const body of [{}, { reason: '' }, { reason: '   ' }, { reason: 5 }, { reason: 'ok', expiresAt: 'tomorrow' }, { reason: 'x'.repeat(501) }]) {
        const res = await t.http.put('/mfa/organization/exemptions/m-a').set('Authorization', ownerAuth).send(body);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
      const badId = await t.http
        .put(`/mfa/organization/exemptions/${encodeURIComponent('a b')}`)
        .set('Authorization', ownerAuth)
        .send({ reason: 'x' });
      expect(badId.status).toBe(400);
      const member = await t.http
        .put('/mfa/organization/exemptions/m-a')
        .set('Authorization', await auth('m-b', orgId, 0))
        .send({ reason: 'x' });
      expect(member.status).toBe(403);
      const members = await t.http.get('/mfa/organization/members?limit=0').set('Authorization', ownerAuth);
      expect(members.status).toBe(400);
      const unknownParam = await t.http.get('/mfa/organization/members?sort=desc').set('Authorization', ownerAuth);
      expect(unknownParam.status).toBe(400);
      await settle();
      expect(orgEvents(orgId).filter((e) => e.type === 'UserMfaExemptionGranted' && (e.data as { userId: string }).userId !== 'm-c')).toHaveLength(0);
    });

    it('pages the members report by cursor', async () => {
      const first = await t.http.get('/mfa/organization/members?limit=2').set('Authorization', ownerAuth);
      expect(first.body.data.items.map((m: { userId: string }) => m.userId)).toEqual(['m-a', 'm-b']);
      expect(first.body.data.nextCursor).toBe('m-b');
      const second = await t.http.get(`/mfa/organization/members?limit=2&cursor=${first.body.data.nextCursor}`).set('Authorization', ownerAuth);
      expect(second.body.data.items.map((m: { userId: string }) => m.userId)).toEqual(['m-c', owner]);
      expect(second.body.data.nextCursor).toBeNull();
    });
  });

  it('concurrent writers never lose an update (20 parallel exemptions on one org)', async () => {
    const orgId = newOrg();
    const ownerAuth = await auth('owner-c', orgId, OWNER);
    const users = Array.from({ length: 20 }, (_, i) => `cu-${String(i).padStart(2, '0')}`);
    for (const sub of users) await t.http.get('/mfa/status').set('Authorization', await auth(sub, orgId, 0));
    const results = await Promise.all(
      users.map((u) =>
        t.http
          .put(`/mfa/organization/exemptions/${u}`)
          .set('Authorization', ownerAuth)
          .send({ reason: `r-${u}` }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(users.map(() => 200));
    const doc = await t.db.collection(ORG_POLICY_COLLECTION).findOne({ _id: orgId as never });
    const stored = await t.db.collection(ORG_EXEMPTIONS_COLLECTION).find({ orgId }).toArray();
    expect(stored.map((e) => e.userId).sort()).toEqual(users);
    // Each change was applied to the exemptions' collection and left the policy document.
    expect(doc?.exemptionChanges).toEqual({});
    expect(doc?.exemptions).toBeUndefined();
    expect(doc?.version).toBe(20);
    const events = await kafka.waitFor((all) => all.filter((e) => e.subject === orgId).length >= 20, 20_000);
    const mine = events.filter((e) => e.subject === orgId);
    expect(mine.map((e) => e.sequence)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  describe('status reads org policies through a per-process cache (ORG_POLICY_CACHE_TTL_MS)', () => {
    const statusOf = async (app: TestApp, userId: string, orgId: string) =>
      (await app.http.get('/mfa/status').set('Authorization', `Bearer ${await app.token({ sub: userId, orgId, orgRole: 0 })}`)).body.data;

    it('a change through the same instance shows at once; through another instance within the TTL; with TTL 0 at once', async () => {
      const orgId = newOrg();
      const member = uniqueName('member');
      const cached = await startTestApp({ env: { MONGO_DB_NAME: t.env.MONGO_DB_NAME, ORG_POLICY_CACHE_TTL_MS: '3000' } });
      const uncached = await startTestApp({ env: { MONGO_DB_NAME: t.env.MONGO_DB_NAME, ORG_POLICY_CACHE_TTL_MS: '0' } });
      try {
        expect(await statusOf(cached, member, orgId)).toMatchObject({ isRequired: false }); // caches "no policy"
        expect(await statusOf(t, member, orgId)).toMatchObject({ isRequired: false });

        expect((await enforce(orgId, { enforced: true })).status).toBe(200); // through instance t
        expect(await statusOf(t, member, orgId)).toMatchObject({ isRequired: true }); // its own cache invalidated
        expect(await statusOf(uncached, member, orgId)).toMatchObject({ isRequired: true });
        // The other instance answers from its cache (proof that it has one) until the TTL runs out.
        expect(await statusOf(cached, member, orgId)).toMatchObject({ isRequired: false });
        await new Promise((resolve) => setTimeout(resolve, 3100));
        expect(await statusOf(cached, member, orgId)).toMatchObject({ isRequired: true });

        // The cache never freezes time: an exemption expiring is seen at its expiry, cached or not.
        const exempt = await t.http
          .put(`/mfa/organization/exemptions/${member}`)
          .set('Authorization', await auth(`admin-${orgId}`, orgId, OWNER))
          .send({ reason: 'travelling', expiresAt: new Date(Date.now() + 1500).toISOString() });
        expect(exempt.status).toBe(200);
        expect(await statusOf(t, member, orgId)).toMatchObject({ isRequired: false });
        await new Promise((resolve) => setTimeout(resolve, 1600));
        expect(await statusOf(t, member, orgId)).toMatchObject({ isRequired: true });
      } finally {
        await cached.app.close();
        await uncached.app.close();
      }
    });
  });
});
