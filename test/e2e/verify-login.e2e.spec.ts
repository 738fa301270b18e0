import { Topics } from '@mfa/contracts';
import type { EventEnvelope } from '@mfa/contracts';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, JSONWebKeySet } from 'jose';
import { randomUUID } from 'node:crypto';
import { KafkaCollector } from '../harness/kafka-collector';
import { ManualClock, startTestApp, TestApp } from '../harness/test-app';
import { requireInfra } from '../harness/test-env';
import { STEPPED_UP } from '../harness/tokens';
import { OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';
import { base32Decode, hotp, totpStepAt } from '../../apps/mfa-service/src/user-mfa/factors/totp';
import { SoftwareAuthenticator } from '../harness/software-authenticator';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';

const RP_ID = 'mfa.example.test';
const ORIGIN = 'https://mfa.example.test';
const FAILED = { success: false, error: 'MFA verification failed', code: 'VERIFICATION_FAILED' };
const STEP_MS = 30_000;

describe('login-time verification: verify-login, mfaToken + JWKS, replay, lockout, step-up (real database and broker)', () => {
  let t: TestApp;
  let kafka: KafkaCollector;
  const clock = new ManualClock(new Date(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5_000));
  /** Every code, token and secret a test saw: none may appear in an event or the event log. */
  const secrets: string[] = [];

  beforeAll(async () => {
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.userMfa, Topics.delivery]);
    t = await startTestApp({ clock, env: { WEBAUTHN_RP_ID: RP_ID, WEBAUTHN_ORIGINS: ORIGIN } });
  });
  afterAll(async () => {
    await settle();
    const logged = JSON.stringify(
      await t.db
        .collection('event_log')
        .find({ type: { $ne: 'MagicLinkRequested' } })
        .toArray(),
    );
    const published = JSON.stringify(kafka.events((e) => e.type !== 'MagicLinkRequested'));
    for (const secret of secrets) {
      expect(logged).not.toContain(secret);
      expect(published).not.toContain(secret);
    }
    await t.close();
    await kafka.stop();
  });

  const newUser = () => `vl-${randomUUID()}`;
  /** A token that proves only a password unless `amr` says otherwise (the login flow's partial session). */
  /** Every token of one user here belongs to one session (`sid`): a verify-login proves step-up for it. */
  const auth = async (sub: string, amr: string[] = ['pwd'], orgId?: string) =>
    `Bearer ${await t.token({ sub, orgId, orgRole: 0, email: `${sub}@example.com`, amr, sid: `sid-${sub}` })}`;
  const post = async (path: string, who: string, body?: unknown, amr?: string[], orgId?: string) => {
    const req = t.http.post(path).set('Authorization', await auth(who, amr, orgId));
    return body === undefined ? req : req.send(body as object);
  };
  const verify = (who: string, body: unknown, orgId?: string) => post('/mfa/verify-login', who, body, undefined, orgId);
  const doc = (userId: string) => t.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never });
  const settle = async () => {
    await t.app.get(OutboxRelay).whenIdle();
    await new Promise((resolve) => setTimeout(resolve, 300));
  };
  const eventsOf = (userId: string, type: string) => kafka.events((e) => e.subject === userId && e.type === type);
  const codeAt = (secret: string, offsetSteps = 0) => hotp(base32Decode(secret), totpStepAt(clock.now()) + offsetSteps);
  const nextStep = () => clock.advance(STEP_MS);

  /** A user with GOOGLE_AUTH enabled (setup + verify-setup); returns its secret and backup codes. */
  async function totpUser(userId: string, orgId?: string): Promise<{ secret: string; backupCodes: string[] }> {
    const setup = await post('/mfa/setup', userId, { mfaType: 'GOOGLE_AUTH' }, STEPPED_UP, orgId);
    expect(setup.status).toBe(200);
    const { secret, backupCodes } = setup.body.data as { secret: string; backupCodes: string[] };
    secrets.push(secret, ...backupCodes);
    const confirmed = await post('/mfa/verify-setup', userId, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret) }, STEPPED_UP, orgId);
    expect(confirmed.status).toBe(200);
    nextStep(); // the setup code's step is used up
    return { secret, backupCodes };
  }

  async function verifiedToken(body: { mfaToken: string }): Promise<Record<string, unknown>> {
    const jwks = await t.http.get('/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    const { payload, protectedHeader } = await jwtVerify(body.mfaToken, createLocalJWKSet(jwks.body as JSONWebKeySet), {
      issuer: 'mfa-service',
      audience: 'identity-service',
      algorithms: ['ES256'],
      currentDate: clock.now(),
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect((jwks.body as JSONWebKeySet).keys.map((k) => k.kid)).toContain(protectedHeader.kid);
    return payload;
  }

  describe('GOOGLE_AUTH', () => {
    it('a valid code → 200 with an ES256 mfaToken that verifies against /.well-known/jwks.json; MfaVerificationSucceeded', async () => {
      const userId = newUser();
      const { secret } = await totpUser(userId, 'org-vl');
      const code = codeAt(secret);
      secrets.push(code);
      const res = await verify(userId, { mfaType: 'GOOGLE_AUTH', code }, 'org-vl');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        success: true,
        data: { verified: true, method: 'GOOGLE_AUTH', mfaToken: expect.any(String), expiresAt: expect.any(String) },
      });
      const claims = await verifiedToken(res.body.data);
      expect(claims).toMatchObject({ sub: userId, orgId: 'org-vl', amr: ['otp'], acr: 'aal2' });
      expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(300);
      expect(new Date(res.body.data.expiresAt).getTime()).toBe((claims.exp as number) * 1000);
      expect(decodeProtectedHeader(res.body.data.mfaToken).typ).toBe('mfa+jwt');
      // The JWKS holds public keys only.
      const jwks = (await t.http.get('/.well-known/jwks.json')).body as JSONWebKeySet;
      for (const key of jwks.keys) expect(key).not.toHaveProperty('d');

      await settle();
      await kafka.waitFor(() => eventsOf(userId, 'MfaVerificationSucceeded').length === 1, 20_000, 'MfaVerificationSucceeded');
      expect(eventsOf(userId, 'MfaVerificationSucceeded')[0].data).toEqual({ userId, orgId: 'org-vl', method: 'GOOGLE_AUTH' });
      const stored = await doc(userId);
      expect(stored?.verification).toEqual({ families: {}, verifiedSessions: [{ sessionId: `sid-${userId}`, at: clock.now() }] });
    });

    it('a code is accepted once: the replay → 400 and MfaVerificationFailed(replayed_code)', async () => {
      const userId = newUser();
      const { secret } = await totpUser(userId);
      const code = codeAt(secret);
      expect((await verify(userId, { mfaType: 'GOOGLE_AUTH', code })).status).toBe(200);
      const replay = await verify(userId, { mfaType: 'GOOGLE_AUTH', code });
      expect(replay.status).toBe(400);
      expect(replay.body).toEqual(FAILED);
      await settle();
      await kafka.waitFor(() => eventsOf(userId, 'MfaVerificationFailed').length === 1, 20_000, 'MfaVerificationFailed');
      expect(eventsOf(userId, 'MfaVerificationFailed')[0].data).toEqual({ userId, orgId: null, method: 'GOOGLE_AUTH', reason: 'replayed_code' });
    });

    it('two concurrent requests with the same code: exactly one succeeds', async () => {
      const userId = newUser();
      const { secret } = await totpUser(userId);
      const code = codeAt(secret);
      const results = await Promise.all([1, 2, 3, 4].map(() => verify(userId, { mfaType: 'GOOGLE_AUTH', code })));
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 400)).toHaveLength(3);
    });

    it('±1 step tolerance, tested at the edges with the injected clock', async () => {
      const userId = newUser();
      const { secret } = await totpUser(userId);
      nextStep(); // so the previous step is later than the one verify-setup used
      // Two steps old and two steps ahead: refused.
      expect((await verify(userId, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret, -2) })).status).toBe(400);
      expect((await verify(userId, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret, 2) })).status).toBe(400);
      // The previous step's code, at the very last millisecond it is still accepted.
      const stepStart = totpStepAt(clock.now()) * STEP_MS;
      clock.set(new Date(stepStart + STEP_MS - 1));
      expect((await verify(userId, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret, -1) })).status).toBe(200);
      // One step ahead (the authenticator's clock runs fast) is accepted too.
      expect((await verify(userId, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret, 1) })).status).toBe(200);
      // ...which makes every earlier code a replay, including the current step's.
      expect((await verify(userId, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret, 0) })).status).toBe(400);
      clock.advance(3 * STEP_MS);
    });
  });

  describe('BACKUP_CODE', () => {
    it('each code works once; backupCodesRemaining drops; regenerate replaces them all (step-up) with BackupCodesRegenerated', async () => {
      const userId = newUser();
      const { backupCodes } = await totpUser(userId);
      const first = await verify(userId, { mfaType: 'BACKUP_CODE', code: backupCodes[0].toUpperCase() });
      expect(first.status).toBe(200);
      expect(first.body.data.method).toBe('BACKUP_CODE');
      expect((await verifiedToken(first.body.data)).amr).toEqual(['otp']);
      const status = await t.http.get('/mfa/status').set('Authorization', await auth(userId));
      expect(status.body.data.backupCodesRemaining).toBe(9);
      expect((await verify(userId, { mfaType: 'BACKUP_CODE', code: backupCodes[0] })).body).toEqual(FAILED);

      // The verify-login above is a fresh second factor: regenerate is allowed with a password-only token.
      const regenerated = await post('/mfa/backup-codes/regenerate', userId);
      expect(regenerated.status).toBe(200);
      const fresh = regenerated.body.data.backupCodes as string[];
      secrets.push(...fresh);
      expect(fresh).toHaveLength(10);
      expect(new Set(fresh).size).toBe(10);
      expect((await verify(userId, { mfaType: 'BACKUP_CODE', code: backupCodes[1] })).status).toBe(400);
      expect((await verify(userId, { mfaType: 'BACKUP_CODE', code: fresh[0] })).status).toBe(200);
      const stored = await doc(userId);
      expect(JSON.stringify(stored)).not.toContain(fresh[1]);
      await settle();
      await kafka.waitFor(() => eventsOf(userId, 'BackupCodesRegenerated').length === 1, 20_000, 'BackupCodesRegenerated');
      expect(eventsOf(userId, 'BackupCodesRegenerated')[0].data).toEqual({ userId, orgId: null, count: 10 });
    });
  });

  describe('MAGIC_LINK', () => {
    const linkEvents = (userId: string) => eventsOf(userId, 'MagicLinkRequested');
    async function deliveredToken(userId: string, n: number): Promise<string> {
      await kafka.waitFor(() => linkEvents(userId).length >= n, 20_000, `MagicLinkRequested #${n}`);
      const token = new URL((linkEvents(userId)[n - 1].data as { link: string }).link).searchParams.get('token')!;
      secrets.push(token);
      return token;
    }

    it('send (purpose login) then the token → 200 amr email; single use; a setup token at login → 400', async () => {
      const userId = newUser();
      expect((await post('/mfa/setup', userId, { mfaType: 'MAGIC_LINK', email: `${userId}@example.com` }, STEPPED_UP)).status).toBe(200);
      const setupToken = await deliveredToken(userId, 1);
      // A setup token cannot log in (MAGIC_LINK is not even enabled yet): refused, and still usable for setup.
      expect((await verify(userId, { mfaType: 'MAGIC_LINK', token: setupToken })).status).toBe(400);
      expect((await t.http.post('/mfa/magic-link/activate').send({ token: setupToken })).status).toBe(200);

      expect((await post('/mfa/magic-link/send', userId)).status).toBe(200);
      const loginToken = await deliveredToken(userId, 2);
      expect(linkEvents(userId)[1].data).toMatchObject({ purpose: 'login' });
      // A login token cannot activate (bound to its purpose) and is not consumed by the attempt.
      expect((await t.http.post('/mfa/magic-link/activate').send({ token: loginToken })).body).toMatchObject({ code: 'INVALID_TOKEN' });
      const ok = await verify(userId, { mfaType: 'MAGIC_LINK', token: loginToken });
      expect(ok.status).toBe(200);
      // Email is worth aal1 (NIST SP 800-63B-4), not aal2.
      expect(await verifiedToken(ok.body.data)).toMatchObject({ amr: ['email'], acr: 'aal1' });
      expect((await verify(userId, { mfaType: 'MAGIC_LINK', token: loginToken })).body).toEqual(FAILED);

      // An expired login link fails with reason "expired".
      expect((await post('/mfa/magic-link/send', userId)).status).toBe(200);
      const stale = await deliveredToken(userId, 3);
      clock.advance(10 * 60_000 + 1);
      expect((await verify(userId, { mfaType: 'MAGIC_LINK', token: stale })).body).toEqual(FAILED);
      await settle();
      await kafka.waitFor(() => eventsOf(userId, 'MfaVerificationFailed').length === 2, 20_000, 'two failures');
      expect(eventsOf(userId, 'MfaVerificationFailed').map((e) => (e.data as { reason: string }).reason)).toEqual(['invalid_token', 'expired']);
    });
  });

  describe('PASSKEY', () => {
    const authOptions = async (userId: string) => {
      const res = await post('/mfa/passkey/auth-options', userId);
      expect(res.status).toBe(200);
      secrets.push(res.body.data.challenge);
      return res.body.data.challenge as string;
    };
    async function passkeyUser(userId: string): Promise<SoftwareAuthenticator> {
      const device = new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN });
      const setup = await post('/mfa/setup', userId, { mfaType: 'PASSKEY' }, STEPPED_UP);
      const challenge = setup.body.data.challenge as string;
      secrets.push(challenge);
      expect((await post('/mfa/passkey/complete-registration', userId, { credential: device.register(challenge), challenge }, STEPPED_UP)).status).toBe(200);
      return device;
    }

    it('auth-options then a signed assertion → 200 aal2, amr hwk + user (user verified); the counter is stored; the challenge cannot be used twice', async () => {
      const userId = newUser();
      const device = await passkeyUser(userId);
      const challenge = await authOptions(userId);
      const assertion = device.assert(challenge);
      const ok = await verify(userId, { mfaType: 'PASSKEY', credential: assertion });
      expect(ok.status).toBe(200);
      expect(await verifiedToken(ok.body.data)).toMatchObject({ amr: ['hwk', 'user'], acr: 'aal2' });
      expect((await doc(userId))?.passkeys[0].counter).toBe(1);
      // The same assertion again: its challenge was consumed.
      expect((await verify(userId, { mfaType: 'PASSKEY', credential: assertion })).body).toEqual(FAILED);
    });

    it.each([
      ['a wrong origin', { origin: 'https://evil.example' }],
      ['a wrong RP ID', { rpId: 'evil.example' }],
      ['a broken signature', { corruptSignature: true }],
      ['a counter that did not increase', { counter: 0 }],
    ])('an assertion with %s → 400, challenge consumed, counter unchanged', async (_what, overrides) => {
      const userId = newUser();
      const device = await passkeyUser(userId);
      expect((await verify(userId, { mfaType: 'PASSKEY', credential: device.assert(await authOptions(userId)) })).status).toBe(200);
      const challenge = await authOptions(userId);
      const res = await verify(userId, { mfaType: 'PASSKEY', credential: device.assert(challenge, overrides) });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(FAILED);
      const stored = await doc(userId);
      expect(stored?.passkeys[0].counter).toBe(1);
      expect(stored?.passkeyChallenges ?? []).toHaveLength(0);
    });

    it('an assertion for another user’s credential, or answering another user’s challenge → 400', async () => {
      const alice = newUser();
      const bob = newUser();
      const aliceDevice = await passkeyUser(alice);
      await passkeyUser(bob);
      // Alice's own credential and signature, presented in Bob's login.
      expect((await verify(bob, { mfaType: 'PASSKEY', credential: aliceDevice.assert(await authOptions(bob)) })).status).toBe(400);
      // Alice answering a challenge issued to Bob, in her own login.
      const bobChallenge = await authOptions(bob);
      expect((await verify(alice, { mfaType: 'PASSKEY', credential: aliceDevice.assert(bobChallenge) })).status).toBe(400);
    });
  });

  describe('lockout', () => {
    it('20 parallel wrong codes: exactly 5 evaluated (400), 15 refused with 423 LOCKED_OUT + retryAfter that write nothing; one MfaLockedOut; 15 minutes later a valid code works', async () => {
      const userId = newUser();
      const { secret } = await totpUser(userId, 'org-lock');
      const valid = new Set([-1, 0, 1].map((o) => codeAt(secret, o)));
      const wrong = ['000000', '111111', '222222'].find((c) => !valid.has(c))!;
      const results = await Promise.all(Array.from({ length: 20 }, () => verify(userId, { mfaType: 'GOOGLE_AUTH', code: wrong }, 'org-lock')));
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 400)).toHaveLength(5);
      expect(statuses.filter((s) => s === 423)).toHaveLength(15);
      const locked = results.find((r) => r.status === 423)!;
      expect(locked.body).toEqual({ success: false, error: expect.any(String), code: 'LOCKED_OUT', retryAfter: 900 });
      expect(locked.headers['retry-after']).toBe('900');

      // The whole codes family is locked, even for a valid code; a locked request writes nothing.
      const lockedVersion = (await doc(userId))?.version;
      expect((await verify(userId, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret) }, 'org-lock')).status).toBe(423);
      expect((await verify(userId, { mfaType: 'BACKUP_CODE', code: 'zzzz-zzzz' }, 'org-lock')).status).toBe(423);
      expect((await doc(userId))?.version).toBe(lockedVersion);
      await settle();
      await kafka.waitFor(() => eventsOf(userId, 'MfaLockedOut').length === 1, 20_000, 'MfaLockedOut');
      expect(eventsOf(userId, 'MfaLockedOut')).toHaveLength(1);
      expect(eventsOf(userId, 'MfaLockedOut')[0]).toMatchObject({ schemaversion: 2 });
      expect(eventsOf(userId, 'MfaLockedOut')[0].data).toEqual({
        userId,
        orgId: 'org-lock',
        until: new Date(clock.now().getTime() + 15 * 60_000).toISOString(),
        failures: 5,
        family: 'codes',
      });
      const reasons = eventsOf(userId, 'MfaVerificationFailed').map((e) => (e.data as { reason: string }).reason);
      expect(reasons).toEqual(['invalid_code', 'invalid_code', 'invalid_code', 'invalid_code', 'invalid_code']);

      clock.advance(15 * 60_000);
      expect((await verify(userId, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret) }, 'org-lock')).status).toBe(200);
      expect((await doc(userId))?.verification.families).toEqual({});
    });

    it('a success resets the count: 4 failures, a success, 4 failures → never locked', async () => {
      const userId = newUser();
      const { secret } = await totpUser(userId);
      const wrong = { mfaType: 'BACKUP_CODE', code: 'zzzz-zzzz' };
      for (let i = 0; i < 4; i++) expect((await verify(userId, wrong)).status).toBe(400);
      expect((await verify(userId, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret) })).status).toBe(200);
      for (let i = 0; i < 4; i++) expect((await verify(userId, wrong)).status).toBe(400);
      expect((await doc(userId))?.verification.families).toEqual({ codes: { failures: 4, lockedUntil: null } });
    });
  });

  describe('step-up', () => {
    it('once the user has MFA, factor changes with a password-only session → 403 STEP_UP_REQUIRED, nothing changed; allowed right after verify-login, refused again when it is old', async () => {
      const userId = newUser();
      const { secret } = await totpUser(userId);
      await settle();
      const before = await doc(userId);
      const stepUp = { success: false, error: expect.any(String), code: 'STEP_UP_REQUIRED' };
      for (const [path, body] of [
        ['/mfa/setup', { mfaType: 'PASSKEY' }],
        ['/mfa/disable', { mfaType: 'GOOGLE_AUTH' }],
        ['/mfa/reset', {}],
        ['/mfa/backup-codes/regenerate', undefined],
      ] as const) {
        const res = await post(path, userId, body);
        expect([path, res.status, res.body]).toEqual([path, 403, stepUp]);
      }
      expect((await doc(userId))?.version).toBe(before?.version);

      expect((await verify(userId, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret) })).status).toBe(200);
      expect((await post('/mfa/setup', userId, { mfaType: 'PASSKEY' })).status).toBe(200);
      clock.advance(10 * 60_000 + 1);
      expect((await post('/mfa/disable', userId, { mfaType: 'GOOGLE_AUTH' })).status).toBe(403);
      // A refreshed token (new iat) keeps the OIDC auth_time of the authentication it came from:
      // only that time counts, so refreshing never makes an old second factor recent.
      const refreshed = async (authTime: number) =>
        `Bearer ${await t.token({ sub: userId, orgRole: 0, email: `${userId}@example.com`, amr: STEPPED_UP, auth_time: authTime })}`;
      const nowSeconds = Math.floor(clock.now().getTime() / 1000); // the verify-login above is stale by now
      const stale = await t.http
        .post('/mfa/setup')
        .set('Authorization', await refreshed(nowSeconds - 11 * 60))
        .send({ mfaType: 'MAGIC_LINK' });
      expect([stale.status, stale.body.code]).toEqual([403, 'STEP_UP_REQUIRED']);
      const recent = await t.http
        .post('/mfa/setup')
        .set('Authorization', await refreshed(nowSeconds - 60))
        .send({ mfaType: 'MAGIC_LINK' });
      expect(recent.status).toBe(200);
      // A token that itself proves a recent second factor (amr) is enough.
      clock.set(new Date());
      expect((await post('/mfa/disable', userId, { mfaType: 'GOOGLE_AUTH' }, STEPPED_UP)).status).toBe(200);
      // Without MFA there is nothing to protect: adding the first factor needs no step-up.
      const fresh = newUser();
      expect((await post('/mfa/setup', fresh, { mfaType: 'PASSKEY' })).status).toBe(200);
    });
  });

  describe('bad input: a clear 4xx, not counted toward lockout unless it is a failed factor', () => {
    it.each([
      ['unknown mfaType', { mfaType: 'SMS', code: '123456' }, 'VALIDATION_FAILED'],
      ['mfaType missing', { code: '123456' }, 'VALIDATION_FAILED'],
      ['code missing', { mfaType: 'GOOGLE_AUTH' }, 'VALIDATION_FAILED'],
      ['code is a number', { mfaType: 'GOOGLE_AUTH', code: 123456 }, 'VALIDATION_FAILED'],
      ['token missing', { mfaType: 'MAGIC_LINK' }, 'VALIDATION_FAILED'],
      ['credential is a string', { mfaType: 'PASSKEY', credential: 'x' }, 'VALIDATION_FAILED'],
      ['unknown field', { mfaType: 'GOOGLE_AUTH', code: '123456', remember: true }, 'VALIDATION_FAILED'],
      ['huge code', { mfaType: 'GOOGLE_AUTH', code: '1'.repeat(5000) }, 'VALIDATION_FAILED'],
      ['a method the user does not have', { mfaType: 'PASSKEY', credential: { id: 'a', rawId: 'a', type: 'public-key', response: {} } }, 'METHOD_NOT_ENABLED'],
      ['a malformed passkey credential', { mfaType: 'PASSKEY', credential: { id: 1 } }, 'INVALID_CREDENTIAL'],
    ])('%s → 400 %s', async (_what, body, code) => {
      const userId = newUser();
      await totpUser(userId);
      await settle();
      const before = await doc(userId);
      const res = await verify(userId, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, code });
      await settle();
      const after = await doc(userId);
      expect(after?.version).toBe(before?.version);
      expect(eventsOf(userId, 'MfaVerificationFailed')).toHaveLength(0);
    });

    it.each([
      ['5 digits', '12345'],
      ['7 digits', '1234567'],
      ['a code with a space', '123 456'],
    ])('a well-typed but wrong-shaped code (%s) is a failed attempt: 400 VERIFICATION_FAILED, counted', async (_what, code) => {
      const userId = newUser();
      await totpUser(userId);
      expect((await verify(userId, { mfaType: 'GOOGLE_AUTH', code })).body).toEqual(FAILED);
      expect((await doc(userId))?.verification.families.codes.failures).toBe(1);
    });

    it('malformed JSON → 400; no bearer → 401 (verify-login and regenerate)', async () => {
      const res = await t.http
        .post('/mfa/verify-login')
        .set('Authorization', await auth(newUser()))
        .set('Content-Type', 'application/json')
        .send('{"mfaType":');
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('MALFORMED_JSON');
      expect((await t.http.post('/mfa/verify-login').send({ mfaType: 'GOOGLE_AUTH', code: '123456' })).status).toBe(401);
      const unauthorized = await t.http.post('/mfa/backup-codes/regenerate');
      expect(unauthorized.status).toBe(401);
      expect(unauthorized.body).toEqual({ success: false, error: 'Unauthorized', code: 'UNAUTHORIZED' });
    });
  });

  it('no verification event carries a code, token, challenge or secret', async () => {
    await settle();
    const verificationEvents: EventEnvelope[] = kafka.events((e) => e.type.startsWith('MfaVerification') || e.type === 'MfaLockedOut');
    expect(verificationEvents.length).toBeGreaterThan(10);
    const published = JSON.stringify(verificationEvents);
    for (const secret of secrets) expect(published).not.toContain(secret);
  });
});
