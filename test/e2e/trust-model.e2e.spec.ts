import { Topics } from '@mfa/contracts';
import { randomUUID } from 'node:crypto';
import { seedAdminMfa } from '../harness/admin-mfa';
import { KafkaCollector } from '../harness/kafka-collector';
import { ManualClock, startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';
import type { TokenClaims } from '../harness/tokens';
import { trustFixture } from '../harness/trust-fixture';
import { MEMBERSHIP_VERSIONS_COLLECTION, memberKey, legacyMemberKey, ORG_MEMBERS_COLLECTION } from '../../apps/mfa-service/src/membership/org-member.document';
import { base32Decode, hotp, totpStepAt } from '../../apps/mfa-service/src/user-mfa/factors/totp';
import { SoftwareAuthenticator } from '../harness/software-authenticator';
import { ORG_EXEMPTIONS_COLLECTION } from '../../apps/mfa-service/src/org-policy/infra/org-exemption.document';

const OWNER = 255;
const ADMIN = 254;
const USER = 0;
const DAY = 24 * 3600_000;
const STEP_MS = 30_000;
const RP_ID = 'mfa.example.test';
const ORIGIN = 'https://mfa.example.test';

/**
 * The nine findings of the adversarial review (issue 10), each reproduced as the attacker would try
 * it and shown refused — the raw documents unchanged and nothing published — next to the legitimate
 * request that still works. Real database and broker; docs/trust-model.md explains the rules.
 */
describe('trust model: who may change whose factors, and what proves it', () => {
  let t: TestApp;
  let kafka: KafkaCollector;
  const clock = new ManualClock(new Date(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5_000));

  beforeAll(async () => {
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.userMfa, Topics.orgPolicy]);
    t = await startTestApp({ clock, env: { WEBAUTHN_RP_ID: RP_ID, WEBAUTHN_ORIGINS: ORIGIN } });
  });
  afterAll(async () => {
    await t.close();
    await kafka.stop();
  });

  const { nowSeconds, bearer, call, doc, orgDoc, settle, eventsAbout, codeAt, refusedWithoutTrace, member } = trustFixture(
    () => t,
    () => kafka,
    clock,
  );

  /** GOOGLE_AUTH through the real flow; returns the secret. The user has no MFA yet, so no step-up is needed. */
  async function enrollTotp(userId: string, orgId?: string): Promise<string> {
    const claims = { sub: userId, orgId, orgRole: USER, amr: ['pwd'] };
    const setup = await call('post', '/mfa/setup', claims, { mfaType: 'GOOGLE_AUTH' });
    expect(setup.status).toBe(200);
    const secret = setup.body.data.secret as string;
    expect((await call('post', '/mfa/verify-setup', claims, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret) })).status).toBe(200);
    clock.advance(STEP_MS);
    return secret;
  }

  async function enforce(orgId: string, body: object, admin = `owner-${orgId}`, claims: Partial<TokenClaims> = {}) {
    return call('post', '/mfa/organization/enforce', { sub: admin, orgId, orgRole: OWNER, amr: ['pwd'], ...claims }, body);
  }

  // ---- 1 -------------------------------------------------------------------------------------------
  describe('1. step-up belongs to the session, not the user', () => {
    it('the real user’s verify-login does not unlock factor changes for an attacker’s password-only session of the same user', async () => {
      const userId = uniqueName('victim');
      const secret = await enrollTotp(userId);
      // The real user logs in with their second factor in session "real".
      const login = await call('post', '/mfa/verify-login', { sub: userId, amr: ['pwd'], sid: 'real' }, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret) });
      expect(login.status).toBe(200);

      const attacker = { sub: userId, amr: ['pwd'], sid: 'stolen-password-session' };
      await refusedWithoutTrace({ users: [userId] }, async () => {
        for (const [path, body] of [
          ['/mfa/backup-codes/regenerate', undefined],
          ['/mfa/setup', { mfaType: 'PASSKEY' }],
          ['/mfa/disable', { mfaType: 'GOOGLE_AUTH' }],
          ['/mfa/reset', {}],
        ] as const) {
          const res = await call('post', path, attacker, body);
          expect([path, res.status, res.body.code]).toEqual([path, 403, 'STEP_UP_REQUIRED']);
        }
      });
      // The real session itself may change factors.
      expect((await call('post', '/mfa/backup-codes/regenerate', { sub: userId, amr: ['pwd'], sid: 'real' })).status).toBe(200);
    });

    it.each([
      ['amr pwd only', () => ({ amr: ['pwd'] })],
      ['amr email', () => ({ amr: ['pwd', 'email'] })],
      ['amr sms', () => ({ amr: ['pwd', 'sms'] })],
      ['amr otp without auth_time', () => ({ amr: ['pwd', 'otp'], auth_time: null })],
      ['amr otp with auth_time in the future', () => ({ amr: ['pwd', 'otp'], auth_time: nowSeconds() + 120 })],
      ['amr otp with an old auth_time and a fresh iat (a refreshed token)', () => ({ amr: ['pwd', 'otp'], auth_time: nowSeconds() - 11 * 60 })],
      ['sid of another session', () => ({ amr: ['pwd'], sid: 'other-session' })],
      ['no sid at all', () => ({ amr: ['pwd'] })],
    ] as Array<[string, () => Partial<TokenClaims>]>)('a token with %s proves nothing: 403 STEP_UP_REQUIRED, nothing written', async (_what, extra) => {
      const userId = uniqueName('stepup');
      const secret = await enrollTotp(userId);
      expect(
        (await call('post', '/mfa/verify-login', { sub: userId, amr: ['pwd'], sid: 'mine' }, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret) })).status,
      ).toBe(200);
      await refusedWithoutTrace({ users: [userId] }, async () => {
        const res = await call('post', '/mfa/backup-codes/regenerate', { sub: userId, ...extra() });
        expect([res.status, res.body.code]).toEqual([403, 'STEP_UP_REQUIRED']);
      });
      // The same request with a fresh second-factor token, or from the verified session, passes.
      expect((await call('post', '/mfa/backup-codes/regenerate', { sub: userId, amr: ['pwd', 'otp'] })).status).toBe(200);
      expect((await call('post', '/mfa/backup-codes/regenerate', { sub: userId, amr: ['pwd'], sid: 'mine' })).status).toBe(200);
    });
  });

  // ---- 2, 3 ----------------------------------------------------------------------------------------
  describe('2–3. an admin acts on another user only inside the authority rules', () => {
    it('an OWNER of another organization the target once used cannot reset them (USER_MANAGED_ELSEWHERE); the managing org can, naming every org', async () => {
      const orgA = uniqueName('org-a');
      const orgB = uniqueName('org-b');
      const target = uniqueName('target');
      await member(orgA, target, USER, true);
      await enrollTotp(target, orgA);
      // The target made one request with an org-B token: B learned the membership from it.
      expect((await call('get', '/mfa/status', { sub: target, orgId: orgB, orgRole: USER })).status).toBe(200);

      const ownerB = uniqueName('owner-b');
      await refusedWithoutTrace({ users: [target] }, async () => {
        // Password session, no MFA: refused on authority before anything else.
        const plain = await call('post', '/mfa/reset', { sub: ownerB, orgId: orgB, orgRole: OWNER, amr: ['pwd'] }, { resetUserId: target });
        expect([plain.status, plain.body]).toEqual([
          403,
          { success: false, error: "This user's MFA can only be changed by the organization that manages the account", code: 'USER_MANAGED_ELSEWHERE' },
        ]);
      });
      await seedAdminMfa(t.db, ownerB);
      await refusedWithoutTrace({ users: [target] }, async () => {
        const stepped = await call('post', '/mfa/reset', { sub: ownerB, orgId: orgB, orgRole: OWNER, amr: ['pwd', 'otp'] }, { resetUserId: target });
        expect([stepped.status, stepped.body.code]).toEqual([403, 'USER_MANAGED_ELSEWHERE']);
      });

      // The managing organization's admin: needs own MFA (fail closed), then step-up.
      const adminA = uniqueName('admin-a');
      await refusedWithoutTrace({ users: [target] }, async () => {
        const noMfa = await call('post', '/mfa/reset', { sub: adminA, orgId: orgA, orgRole: ADMIN, amr: ['pwd', 'otp'] }, { resetUserId: target });
        expect([noMfa.status, noMfa.body.code]).toEqual([403, 'ADMIN_MFA_REQUIRED']);
      });
      await seedAdminMfa(t.db, adminA);
      await refusedWithoutTrace({ users: [target] }, async () => {
        const password = await call('post', '/mfa/reset', { sub: adminA, orgId: orgA, orgRole: ADMIN, amr: ['pwd'] }, { resetUserId: target });
        expect([password.status, password.body.code]).toEqual([403, 'STEP_UP_REQUIRED']);
      });
      const ok = await call('post', '/mfa/reset', { sub: adminA, orgId: orgA, orgRole: ADMIN, amr: ['pwd', 'otp'] }, { resetUserId: target });
      expect(ok.body).toEqual({ success: true, message: 'MFA reset successfully' });
      await settle();
      const reset = eventsAbout(target).filter((e) => e.type === 'MfaReset');
      expect(reset).toHaveLength(1);
      expect(reset[0].data).toEqual({ userId: target, orgId: orgA, orgIds: [orgA, orgB].sort(), resetBy: adminA, selfService: false });
      expect(reset[0]).toMatchObject({ actortype: 'admin', actorid: adminA });
    });

    it('an ADMINISTRATOR cannot reset an OWNER or another ADMINISTRATOR (403 FORBIDDEN); a member of no shared org is 404', async () => {
      const orgId = uniqueName('org-roles');
      const owner = uniqueName('owner');
      const peer = uniqueName('peer-admin');
      const admin = uniqueName('admin');
      await member(orgId, owner, OWNER);
      await member(orgId, peer, ADMIN);
      await member(orgId, admin, ADMIN);
      for (const userId of [owner, peer]) await enrollTotp(userId, orgId);
      await seedAdminMfa(t.db, admin);
      const stranger = uniqueName('stranger');
      await enrollTotp(stranger, uniqueName('elsewhere'));
      await refusedWithoutTrace({ users: [owner, peer, stranger] }, async () => {
        for (const target of [owner, peer]) {
          const res = await call('post', '/mfa/reset', { sub: admin, orgId, orgRole: ADMIN, amr: ['pwd', 'otp'] }, { resetUserId: target });
          expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN']);
        }
        const res = await call('post', '/mfa/reset', { sub: admin, orgId, orgRole: ADMIN, amr: ['pwd', 'otp'] }, { resetUserId: stranger });
        expect([res.status, res.body]).toEqual([404, { success: false, error: 'User not found', code: 'USER_NOT_FOUND' }]);
      });
    });

    it('identity events win over a stale token: a demoted admin’s old ADMINISTRATOR token resets nobody and administers no policy', async () => {
      const orgId = uniqueName('org-demoted');
      const demoted = uniqueName('demoted');
      const target = uniqueName('member');
      await member(orgId, demoted, USER);
      await member(orgId, target, USER);
      await seedAdminMfa(t.db, demoted);
      await enrollTotp(target, orgId);
      await refusedWithoutTrace({ users: [target], orgs: [orgId] }, async () => {
        const res = await call('post', '/mfa/reset', { sub: demoted, orgId, orgRole: ADMIN, amr: ['pwd', 'otp'] }, { resetUserId: target });
        expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN']);
        const policy = await call('post', '/mfa/organization/enforce', { sub: demoted, orgId, orgRole: ADMIN, amr: ['pwd', 'otp'] }, { enforced: true });
        expect([policy.status, policy.body.code]).toEqual([403, 'FORBIDDEN']);
      });
    });
  });

  // ---- 4 -------------------------------------------------------------------------------------------
  describe('4. lowering an organization’s security needs the admin’s MFA and step-up', () => {
    it('lift, a longer grace period, an added method: ADMIN_MFA_REQUIRED without MFA, STEP_UP_REQUIRED with a password session; raising needs neither', async () => {
      const orgId = uniqueName('org-weaken');
      const owner = `owner-${orgId}`;
      expect((await enforce(orgId, { enforced: true, gracePeriodDays: 7, allowedMethods: ['GOOGLE_AUTH'] })).status).toBe(200);
      const weakening = [{ enforced: false }, { enforced: true, gracePeriodDays: 30 }, { enforced: true, allowedMethods: ['GOOGLE_AUTH', 'MAGIC_LINK'] }];
      await refusedWithoutTrace({ orgs: [orgId] }, async () => {
        for (const body of weakening) {
          const res = await enforce(orgId, body, owner, { amr: ['pwd', 'otp'] });
          expect([res.status, res.body.code]).toEqual([403, 'ADMIN_MFA_REQUIRED']);
        }
      });
      await seedAdminMfa(t.db, owner);
      await refusedWithoutTrace({ orgs: [orgId] }, async () => {
        for (const body of weakening) {
          const res = await enforce(orgId, body, owner);
          expect([res.status, res.body.code]).toEqual([403, 'STEP_UP_REQUIRED']);
        }
      });
      // Raising security: a password session of an admin without MFA suffices.
      const other = uniqueName('admin-no-mfa');
      expect((await enforce(orgId, { enforced: true, gracePeriodDays: 1 }, other)).status).toBe(200);
      expect((await enforce(orgId, { enforced: true, gracePeriodDays: 1, allowedMethods: ['GOOGLE_AUTH'] }, other)).status).toBe(200);
      // The stepped-up owner with MFA may lift.
      expect((await enforce(orgId, { enforced: false }, owner, { amr: ['pwd', 'otp'] })).status).toBe(200);
    });

    it('exemptions: the admin’s MFA and step-up, never for themself, never beyond MFA_EXEMPTION_MAX_DAYS', async () => {
      const orgId = uniqueName('org-exempt');
      const owner = uniqueName('owner');
      const memberId = uniqueName('member');
      await member(orgId, owner, OWNER);
      await member(orgId, memberId, USER);
      expect((await enforce(orgId, { enforced: true }, owner)).status).toBe(200);
      const exempt = (userId: string, claims: Partial<TokenClaims>, body: object = { reason: 'kiosk' }) =>
        call('put', `/mfa/organization/exemptions/${userId}`, { sub: owner, orgId, orgRole: OWNER, ...claims }, body);
      await refusedWithoutTrace({ orgs: [orgId] }, async () => {
        expect((await exempt(memberId, { amr: ['pwd', 'otp'] })).body.code).toBe('ADMIN_MFA_REQUIRED');
        await seedAdminMfa(t.db, owner);
        expect((await exempt(memberId, { amr: ['pwd'] })).body.code).toBe('STEP_UP_REQUIRED');
        const self = await exempt(owner, { amr: ['pwd', 'otp'] });
        expect([self.status, self.body.code]).toEqual([403, 'FORBIDDEN']);
        const forever = await exempt(memberId, { amr: ['pwd', 'otp'] }, { reason: 'kiosk', expiresAt: '9999-12-31T00:00:00Z' });
        expect([forever.status, forever.body.code, forever.body.details?.[0]?.field]).toEqual([400, 'VALIDATION_FAILED', 'expiresAt']);
      });
      const ok = await exempt(memberId, { amr: ['pwd', 'otp'] });
      expect(ok.status).toBe(200);
      const stored = (await t.db.collection(ORG_EXEMPTIONS_COLLECTION).find({ orgId }).toArray()) as unknown as Array<{ userId: string; expiresAt: Date }>;
      // Without expiresAt an exemption lasts the longest allowed (365 days by default), not forever.
      expect(stored.find((e) => e.userId === memberId)?.expiresAt).toEqual(new Date(clock.now().getTime() + 365 * DAY));
    });
  });

  // ---- 5, 6 ----------------------------------------------------------------------------------------
  describe('5–6. org rules follow the person over every active membership; verify-login honours the context org', () => {
    it('a token without orgId evades nothing: excluded setup refused, the last method kept, status names the enforcing org', async () => {
      const orgA = uniqueName('org-strict');
      await member(orgA, uniqueName('someone'), USER);
      expect((await enforce(orgA, { enforced: true, allowedMethods: ['GOOGLE_AUTH', 'PASSKEY'] })).status).toBe(200);
      const userId = uniqueName('no-org-claim');
      await member(orgA, userId, USER);
      await enrollTotp(userId); // without orgId
      const noOrg = { sub: userId, amr: ['pwd', 'otp'] };
      await refusedWithoutTrace({ users: [userId] }, async () => {
        const setup = await call('post', '/mfa/setup', noOrg, { mfaType: 'MAGIC_LINK', email: `${userId}@example.com` });
        expect([setup.status, setup.body.code]).toEqual([403, 'METHOD_NOT_ALLOWED']);
        const send = await call('post', '/mfa/magic-link/send', noOrg);
        expect([send.status, send.body.code]).toEqual([403, 'METHOD_NOT_ALLOWED']);
        const disable = await call('post', '/mfa/disable', noOrg, { mfaType: 'GOOGLE_AUTH' });
        expect([disable.status, disable.body.code]).toEqual([403, 'MFA_ENFORCED_BY_ORG']);
      });
      const status = await call('get', '/mfa/status', { sub: userId });
      expect(status.body.data).toMatchObject({ isEnforced: true, isRequired: true, enforcedBy: [orgA], setupRequired: false });
      const methods = await call('get', '/mfa/methods', { sub: userId });
      expect((methods.body.data as Array<{ type: string; isAvailable: boolean }>).find((m) => m.type === 'MAGIC_LINK')?.isAvailable).toBe(false);
    });

    it('a membership learned only from tokens expires after MFA_TOKEN_MEMBERSHIP_TTL_DAYS; one confirmed by events does not', async () => {
      const stale = uniqueName('org-stale');
      const confirmed = uniqueName('org-confirmed');
      expect((await enforce(stale, { enforced: true })).status).toBe(200);
      expect((await enforce(confirmed, { enforced: true })).status).toBe(200);
      const userId = uniqueName('drifter');
      await member(stale, userId, USER, false, 'token', new Date(clock.now().getTime() - 31 * DAY));
      expect((await call('get', '/mfa/status', { sub: userId })).body.data).toMatchObject({ isEnforced: false, enforcedBy: [] });
      await member(confirmed, userId, USER, false, 'event', new Date(clock.now().getTime() - 400 * DAY));
      expect((await call('get', '/mfa/status', { sub: userId })).body.data).toMatchObject({ isEnforced: true, enforcedBy: [confirmed] });
    });

    it('two organizations, two policies: status and setup over both; verify-login refuses what the login’s org excludes (403, not counted)', async () => {
      const strict = uniqueName('org-strict');
      const lenient = uniqueName('org-lenient');
      expect((await enforce(strict, { enforced: true, gracePeriodDays: 3, allowedMethods: ['GOOGLE_AUTH', 'PASSKEY'] })).status).toBe(200);
      expect((await enforce(lenient, { enforced: true, gracePeriodDays: 30, allowedMethods: ['GOOGLE_AUTH', 'MAGIC_LINK'] })).status).toBe(200);
      const userId = uniqueName('two-orgs');
      await member(lenient, userId, USER);
      // MAGIC_LINK enabled while only the lenient org knew the user (seeded: the link flow is covered elsewhere).
      await seedAdminMfa(t.db, userId, 'MAGIC_LINK');
      await member(strict, userId, USER);

      const viaLenient = await call('get', '/mfa/status', { sub: userId, orgId: lenient, orgRole: USER });
      expect(viaLenient.body.data).toMatchObject({ isEnforced: true, enforcedBy: [lenient, strict].sort(), setupRequired: true });
      // The strict org still waits for an accepted method: its (earlier) deadline is the one shown.
      expect(viaLenient.body.data.enforcementDeadline).toBe(new Date(((await orgDoc(strict))?.enforcementDeadline as Date).getTime()).toISOString());

      await refusedWithoutTrace({ users: [userId] }, async () => {
        for (const orgId of [strict, undefined]) {
          const res = await call(
            'post',
            '/mfa/verify-login',
            { sub: userId, orgId, orgRole: USER, amr: ['pwd'] },
            { mfaType: 'MAGIC_LINK', token: 'x'.repeat(43) },
          );
          expect([res.status, res.body.code]).toEqual([403, 'METHOD_NOT_ALLOWED']);
        }
        const setup = await call('post', '/mfa/setup', { sub: userId, orgId: lenient, orgRole: USER, amr: ['pwd', 'otp'] }, { mfaType: 'PASSKEY' });
        expect([setup.status, setup.body.code]).toEqual([403, 'METHOD_NOT_ALLOWED']);
      });
      // In the lenient org's login the link is judged (a wrong one is an ordinary, counted failure).
      const judged = await call(
        'post',
        '/mfa/verify-login',
        { sub: userId, orgId: lenient, orgRole: USER, amr: ['pwd'] },
        { mfaType: 'MAGIC_LINK', token: 'x'.repeat(43) },
      );
      expect([judged.status, judged.body.code]).toEqual([400, 'VERIFICATION_FAILED']);
      // GOOGLE_AUTH is accepted by both: after it the user complies everywhere.
      await enrollTotpWithStepUp(userId, lenient);
      expect((await call('get', '/mfa/status', { sub: userId, orgId: strict, orgRole: USER })).body.data).toMatchObject({ setupRequired: false });
    });

    async function enrollTotpWithStepUp(userId: string, orgId: string): Promise<void> {
      const claims = { sub: userId, orgId, orgRole: USER, amr: ['pwd', 'otp'] };
      const setup = await call('post', '/mfa/setup', claims, { mfaType: 'GOOGLE_AUTH' });
      expect(setup.status).toBe(200);
      expect((await call('post', '/mfa/verify-setup', claims, { mfaType: 'GOOGLE_AUTH', code: codeAt(setup.body.data.secret) })).status).toBe(200);
      clock.advance(STEP_MS);
    }
  });

  // ---- 7 -------------------------------------------------------------------------------------------
  describe('7. guessing is bounded', () => {
    it('20 parallel wrong codes across two instances: 5 evaluated, one MfaLockedOut; locked requests write and publish nothing; locks double; a code lockout never blocks a passkey', async () => {
      const second = await startTestApp({
        clock,
        env: { MONGO_DB_NAME: t.env.MONGO_DB_NAME, MFA_ENCRYPTION_KEY: t.env.MFA_ENCRYPTION_KEY, WEBAUTHN_RP_ID: RP_ID, WEBAUTHN_ORIGINS: ORIGIN },
      });
      try {
        const userId = uniqueName('guessed');
        const secret = await enrollTotp(userId);
        const device = new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN });
        const stepped = { sub: userId, amr: ['pwd', 'otp'] };
        const reg = await call('post', '/mfa/setup', stepped, { mfaType: 'PASSKEY' });
        const regChallenge = reg.body.data.challenge as string;
        expect(
          (await call('post', '/mfa/passkey/complete-registration', stepped, { credential: device.register(regChallenge), challenge: regChallenge })).status,
        ).toBe(200);
        const valid = new Set([-1, 0, 1].map((o) => hotp(base32Decode(secret), totpStepAt(clock.now()) + o)));
        const wrong = ['000000', '111111', '222222', '333333'].find((c) => !valid.has(c))!;
        const attempt = async (app: TestApp) =>
          app.http
            .post('/mfa/verify-login')
            .set('Authorization', await bearer({ sub: userId, amr: ['pwd'] }))
            .send({ mfaType: 'GOOGLE_AUTH', code: wrong });

        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(i % 2 === 0 ? t : second)));
        expect(results.map((r) => `${r.status} ${r.body.code}`).sort()).toEqual([
          ...Array(5).fill('400 VERIFICATION_FAILED'),
          ...Array(15).fill('423 LOCKED_OUT'),
        ]);
        await settle();
        const locks = () => eventsAbout(userId).filter((e) => e.type === 'MfaLockedOut');
        await kafka.waitFor(() => locks().length === 1, 20_000, 'MfaLockedOut');
        expect(locks()[0].data).toMatchObject({ failures: 5, family: 'codes' });

        // 50 more while locked: nothing written, nothing published.
        await refusedWithoutTrace({ users: [userId] }, async () => {
          for (let i = 0; i < 50; i++) expect((await attempt(i % 2 === 0 ? t : second)).status).toBe(423);
        });
        // A valid passkey still logs in (its own family).
        const options = await call('post', '/mfa/passkey/auth-options', { sub: userId, amr: ['pwd'] });
        const passkey = await call(
          'post',
          '/mfa/verify-login',
          { sub: userId, amr: ['pwd'] },
          { mfaType: 'PASSKEY', credential: device.assert(options.body.data.challenge) },
        );
        expect(passkey.status).toBe(200);

        // Failures accumulate across locks: the next five lock for 30 minutes, then 60.
        clock.advance(15 * 60_000);
        for (let i = 0; i < 5; i++) expect((await attempt(t)).status).toBe(400);
        const thirty = await attempt(t);
        expect([thirty.status, thirty.body.retryAfter]).toEqual([423, 30 * 60]);
        clock.advance(30 * 60_000);
        for (let i = 0; i < 5; i++) expect((await attempt(second)).status).toBe(400);
        expect((await attempt(t)).body.retryAfter).toBe(60 * 60);
        await settle();
        expect(locks().map((e) => (e.data as { failures: number }).failures)).toEqual([5, 10, 15]);
      } finally {
        await second.close().catch(() => undefined);
      }
    });

    it('at 100 consecutive failures the family stays locked (retryAfter null, no Retry-After) until an admin reset', async () => {
      const orgId = uniqueName('org-hard');
      const userId = uniqueName('hard-stop');
      const admin = uniqueName('admin');
      await member(orgId, userId, USER, true);
      await member(orgId, admin, ADMIN);
      const secret = await enrollTotp(userId, orgId);
      const attempt = async () =>
        call('post', '/mfa/verify-login', { sub: userId, orgId, orgRole: USER, amr: ['pwd'] }, { mfaType: 'BACKUP_CODE', code: 'zzzz-zzzz' });
      for (let lock = 1; lock <= 20; lock++) {
        for (let i = 0; i < 5; i++) expect((await attempt()).status).toBe(400);
        const locked = await attempt();
        expect(locked.status).toBe(423);
        if (lock < 20) clock.advance(locked.body.retryAfter * 1000);
        else {
          expect(locked.body).toEqual({ success: false, error: expect.any(String), code: 'LOCKED_OUT', retryAfter: null });
          expect(locked.headers['retry-after']).toBeUndefined();
        }
      }
      clock.advance(365 * DAY);
      expect(
        (await call('post', '/mfa/verify-login', { sub: userId, orgId, orgRole: USER, amr: ['pwd'] }, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret) })).status,
      ).toBe(423);
      await settle();
      expect(
        eventsAbout(userId)
          .filter((e) => e.type === 'MfaLockedOut')
          .at(-1)?.data,
      ).toMatchObject({ until: null, failures: 100 });
      // A self-reset (even stepped up) does not end the lockout; the admin's reset does.
      expect((await call('post', '/mfa/reset', { sub: userId, orgId, orgRole: USER, amr: ['pwd', 'otp'] }, {})).status).toBe(200);
      expect((await attempt()).status).toBe(423);
      await seedAdminMfa(t.db, admin);
      expect((await call('post', '/mfa/reset', { sub: admin, orgId, orgRole: ADMIN, amr: ['pwd', 'otp'] }, { resetUserId: userId })).status).toBe(200);
      expect((await doc(userId))?.verification).toEqual({ families: {}, verifiedSessions: [] });
    });
  });

  // ---- 8 -------------------------------------------------------------------------------------------
  it('8. a setup an attacker started before the account had MFA cannot be completed once a method is enabled', async () => {
    const userId = uniqueName('pending');
    const attacker = { sub: userId, amr: ['pwd'] };
    const started = await call('post', '/mfa/setup', attacker, { mfaType: 'GOOGLE_AUTH' });
    expect(started.status).toBe(200);
    const { secret: attackerSecret, backupCodes } = started.body.data as { secret: string; backupCodes: string[] };

    // The real user registers a passkey.
    const device = new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN });
    const reg = await call('post', '/mfa/setup', { sub: userId, amr: ['pwd'] }, { mfaType: 'PASSKEY' });
    const challenge = reg.body.data.challenge as string;
    expect(
      (await call('post', '/mfa/passkey/complete-registration', { sub: userId, amr: ['pwd'] }, { credential: device.register(challenge), challenge })).status,
    ).toBe(200);

    await refusedWithoutTrace({ users: [userId] }, async () => {
      const finish = await call('post', '/mfa/verify-setup', attacker, { mfaType: 'GOOGLE_AUTH', code: codeAt(attackerSecret) });
      expect([finish.status, finish.body.code]).toEqual([400, 'SETUP_EXPIRED']);
      const code = await call('post', '/mfa/verify-login', attacker, { mfaType: 'BACKUP_CODE', code: backupCodes[0] });
      expect([code.status, code.body.code]).toEqual([400, 'METHOD_NOT_ENABLED']);
    });
    expect((await doc(userId))?.enabledMethods).toEqual(['PASSKEY']);
  });

  // ---- 9 -------------------------------------------------------------------------------------------
  describe('9. member keys cannot collide', () => {
    it('`x:bob` in `orgZ` and `bob` in `orgZ:x` are two members; an admin of one cannot reach the other', async () => {
      const orgZ = uniqueName('orgZ');
      const orgZx = `${orgZ}:x`;
      for (const [orgId, sub] of [
        [orgZ, 'x:bob'],
        [orgZx, 'bob'],
      ]) {
        expect((await call('get', '/mfa/status', { sub, orgId, orgRole: USER })).status).toBe(200);
      }
      const members = await t.db
        .collection(ORG_MEMBERS_COLLECTION)
        .find({ orgId: { $in: [orgZ, orgZx] } })
        .toArray();
      expect(members.map((m) => [m._id, m.orgId, m.userId]).sort()).toEqual(
        [
          [memberKey(orgZ, 'x:bob'), orgZ, 'x:bob'],
          [memberKey(orgZx, 'bob'), orgZx, 'bob'],
        ].sort(),
      );
      const admin = uniqueName('admin-z');
      await seedAdminMfa(t.db, admin);
      const res = await call('post', '/mfa/reset', { sub: admin, orgId: orgZ, orgRole: OWNER, amr: ['pwd', 'otp'] }, { resetUserId: 'bob' });
      expect([res.status, res.body.code]).toEqual([404, 'USER_NOT_FOUND']);
    });

    it('documents under the old colliding keys are moved at start-up, once', async () => {
      const dbName = uniqueName('mfa_migrate');
      const seed = await startTestApp({ env: { MONGO_DB_NAME: dbName } });
      const orgId = uniqueName('org:colon');
      const userId = `u:${randomUUID()}`;
      try {
        await seed.db.collection('migrations').deleteMany({});
        const legacy = legacyMemberKey(orgId, userId);
        const at = new Date();
        await seed.db
          .collection(ORG_MEMBERS_COLLECTION)
          .insertOne({ _id: legacy as never, orgId, userId, role: ADMIN, source: 'event', joinedAt: at, lastSeenAt: at });
        await seed.db.collection(MEMBERSHIP_VERSIONS_COLLECTION).insertOne({ _id: legacy as never, orgId, userId, membershipUpdatedAt: at });
      } finally {
        await seed.app.close();
      }
      const migrated = await startTestApp({ env: { MONGO_DB_NAME: dbName } });
      try {
        for (const name of [ORG_MEMBERS_COLLECTION, MEMBERSHIP_VERSIONS_COLLECTION]) {
          const docs = await migrated.db.collection(name).find({ orgId }).toArray();
          expect([name, docs.map((d) => d._id)]).toEqual([name, [memberKey(orgId, userId)]]);
        }
        expect(await migrated.db.collection('migrations').findOne({ _id: 'member-keys-v2' as never })).toMatchObject({ moved: 2 });
      } finally {
        await migrated.close();
      }
    });
  });
});
