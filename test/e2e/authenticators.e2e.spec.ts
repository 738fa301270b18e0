import { Topics } from '@mfa/contracts';
import { decodeJwt } from 'jose';
import { createHash } from 'node:crypto';
import { seedAdminMfa } from '../harness/admin-mfa';
import { KafkaCollector } from '../harness/kafka-collector';
import { ManualClock, startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';
import { trustFixture } from '../harness/trust-fixture';
import { SoftwareAuthenticator } from '../harness/software-authenticator';
import { PASSKEY_CREDENTIALS_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';

const OWNER = 255;
const ADMIN = 254;
const USER = 0;
const DAY = 24 * 3600_000;
const STEP_MS = 30_000;
const RP_ID = 'mfa.example.test';
const ORIGIN = 'https://mfa.example.test';
const ICLOUD_AAGUID = 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd';
const PASSWORD = ['pwd'];
const STEPPED = ['pwd', 'otp'];

/**
 * Issue 14: each authenticator managed one by one (list, rename, remove; an admin removes a member's
 * lost key) and "remember this device" under org policy — on the real database and broker, with the
 * raw documents and the published events asserted, and every refusal shown to change nothing.
 */
describe('authenticators and trusted devices (HTTP → MongoDB → outbox → Kafka)', () => {
  let t: TestApp;
  let kafka: KafkaCollector;
  const clock = new ManualClock(new Date(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5_000));
  /** Secrets a test saw (device tokens, public keys, credential ids): none may be published or logged. */
  const secrets: string[] = [];

  beforeAll(async () => {
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.userMfa, Topics.orgPolicy]);
    t = await startTestApp({ clock, env: { WEBAUTHN_RP_ID: RP_ID, WEBAUTHN_ORIGINS: ORIGIN } });
  });
  afterAll(async () => {
    await settle();
    const published = JSON.stringify(kafka.records);
    const logged = JSON.stringify(await t.db.collection('event_log').find({}).toArray());
    expect(secrets.length).toBeGreaterThan(0);
    for (const s of secrets) {
      expect(published).not.toContain(s);
      expect(logged).not.toContain(s);
    }
    await t.close();
    await kafka.stop();
  });

  const {
    call,
    doc,
    settle,
    eventsAbout,
    codeAt,
    refusedWithoutTrace,
    member: memberAs,
  } = trustFixture(
    () => t,
    () => kafka,
    clock,
  );
  /** Here members are confirmed by identity events and managed by their organization unless said otherwise. */
  const member = (orgId: string, userId: string, role: number, managed = true) => memberAs(orgId, userId, role, managed);
  const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

  /** A passkey registered through the real ceremony (a software authenticator); returns the device. */
  async function registerPasskey(userId: string, orgId: string, name?: string, aaguid?: string): Promise<SoftwareAuthenticator> {
    const device = new SoftwareAuthenticator({
      rpId: RP_ID,
      origin: ORIGIN,
      transports: ['internal', 'hybrid'],
      aaguid: aaguid ? Buffer.from(aaguid.replace(/-/g, ''), 'hex') : undefined,
    });
    const claims = { sub: userId, orgId, orgRole: USER, amr: STEPPED };
    const setup = await call('post', '/mfa/setup', claims, { mfaType: 'PASSKEY', ...(name ? { deviceInfo: { name, type: 'platform' } } : {}) });
    expect(setup.status).toBe(200);
    const challenge = setup.body.data.challenge as string;
    const done = await call('post', '/mfa/passkey/complete-registration', claims, { credential: device.register(challenge), challenge });
    expect(done.status).toBe(200);
    secrets.push(device.credentialId);
    return device;
  }

  /** GOOGLE_AUTH through the real flow; returns the secret. */
  async function enrollTotp(userId: string, orgId: string): Promise<string> {
    const claims = { sub: userId, orgId, orgRole: USER, amr: STEPPED };
    const setup = await call('post', '/mfa/setup', claims, { mfaType: 'GOOGLE_AUTH' });
    expect(setup.status).toBe(200);
    const secret = setup.body.data.secret as string;
    expect((await call('post', '/mfa/verify-setup', claims, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret) })).status).toBe(200);
    clock.advance(STEP_MS);
    return secret;
  }

  async function passkeyLogin(userId: string, orgId: string, device: SoftwareAuthenticator, credentialId?: string) {
    const claims = { sub: userId, orgId, orgRole: USER, amr: PASSWORD };
    const options = await call('post', '/mfa/passkey/auth-options', claims);
    expect(options.status).toBe(200);
    return call('post', '/mfa/verify-login', claims, { mfaType: 'PASSKEY', credential: device.assert(options.body.data.challenge, { credentialId }) });
  }

  async function enforce(orgId: string, body: object) {
    const owner = `owner-${orgId}`;
    await seedAdminMfa(t.db, owner);
    const res = await call('post', '/mfa/organization/enforce', { sub: owner, orgId, orgRole: OWNER, amr: STEPPED }, body);
    expect(res.status).toBe(200);
  }

  describe('a user manages each passkey one by one', () => {
    it('register two passkeys, list, rename, remove one (credential id released), log in with the other; refusals change nothing', async () => {
      const userId = uniqueName('pk-owner');
      const orgId = uniqueName('org');
      const me = { sub: userId, orgId, orgRole: USER, amr: STEPPED };
      const laptop = await registerPasskey(userId, orgId, 'Laptop');
      const phone = await registerPasskey(userId, orgId, undefined, ICLOUD_AAGUID);
      const stored = await doc(userId);
      for (const p of stored!.passkeys) secrets.push(p.publicKey);

      const list = await call('get', '/mfa/authenticators', me);
      expect(list.status).toBe(200);
      const [a, b] = list.body.data;
      expect(list.body.data).toEqual([
        {
          id: expect.stringMatching(/^pk-[A-Za-z0-9_-]{22}$/),
          type: 'PASSKEY',
          enabled: true,
          name: 'Laptop',
          createdAt: clock.now().toISOString(),
          lastUsedAt: null,
          deviceType: 'singleDevice',
          backedUp: false,
          transports: ['hybrid', 'internal'],
          provider: null,
        },
        expect.objectContaining({ type: 'PASSKEY', name: null, provider: 'iCloud Keychain', transports: ['hybrid', 'internal'] }),
      ]);
      expect(a.id).not.toBe(b.id);
      // The ids are stable: the same on every read.
      expect((await call('get', '/mfa/authenticators', me)).body.data.map((v: { id: string }) => v.id)).toEqual([a.id, b.id]);
      const body = JSON.stringify(list.body);
      for (const p of stored!.passkeys) {
        expect(body).not.toContain(p.publicKey);
        expect(body).not.toContain(p.credentialId);
      }

      // Rename: trimmed; bad names and unknown ids refused without trace.
      expect((await call('patch', `/mfa/authenticators/${b.id}`, { ...me, amr: PASSWORD }, { name: '  Phone  ' })).body).toEqual({
        success: true,
        message: 'Authenticator renamed',
      });
      expect((await doc(userId))!.passkeys[1].name).toBe('Phone');
      await refusedWithoutTrace({ users: [userId] }, async () => {
        for (const name of ['', '   ', 'x'.repeat(65), 'bell\u0007', 'line\nbreak', 'rtl\u202Eoverride', 42, null]) {
          const res = await call('patch', `/mfa/authenticators/${b.id}`, me, { name });
          expect([JSON.stringify(name), res.status, res.body.code]).toEqual([JSON.stringify(name), 400, 'VALIDATION_FAILED']);
        }
        const unknown = await call('patch', '/mfa/authenticators/pk-AAAAAAAAAAAAAAAAAAAAAA', me, { name: 'x' });
        expect([unknown.status, unknown.body]).toEqual([404, { success: false, error: 'Authenticator not found', code: 'AUTHENTICATOR_NOT_FOUND' }]);
        const malformed = await call('patch', '/mfa/authenticators/..%2F..%2Fx', me, { name: 'x' });
        expect([malformed.status, malformed.body.code]).toEqual([404, 'AUTHENTICATOR_NOT_FOUND']);
        const codes = await call('patch', '/mfa/authenticators/backup-codes', me, { name: 'x' });
        expect(codes.status).toBe(404); // this user has no backup codes
      });
      // Another user's authenticator id is unknown to me: 404, the same answer.
      const stranger = uniqueName('stranger');
      await enrollTotp(stranger, orgId);
      await refusedWithoutTrace({ users: [userId, stranger] }, async () => {
        for (const [method, body] of [
          ['patch', { name: 'mine now' }],
          ['delete', undefined],
        ] as const) {
          const res = await call(method, `/mfa/authenticators/${a.id}`, { sub: stranger, orgId, orgRole: USER, amr: STEPPED }, body);
          expect([res.status, res.body]).toEqual([404, { success: false, error: 'Authenticator not found', code: 'AUTHENTICATOR_NOT_FOUND' }]);
        }
      });

      // Remove needs step-up once the user has MFA.
      await refusedWithoutTrace({ users: [userId] }, async () => {
        const res = await call('delete', `/mfa/authenticators/${a.id}`, { ...me, amr: PASSWORD });
        expect([res.status, res.body.code]).toEqual([403, 'STEP_UP_REQUIRED']);
      });
      const removed = await call('delete', `/mfa/authenticators/${a.id}`, me);
      expect(removed.body).toEqual({ success: true, message: 'Authenticator removed' });
      const after = await doc(userId);
      expect(after!.passkeys.map((p: { credentialId: string }) => p.credentialId)).toEqual([phone.credentialId]);
      expect(after).toMatchObject({ enabledMethods: ['PASSKEY'], methods: { PASSKEY: { status: 'enabled' } }, passkeyCredentialIds: [phone.credentialId] });
      // The credential id is free again; the other one stays reserved.
      expect(await t.db.collection(PASSKEY_CREDENTIALS_COLLECTION).findOne({ _id: laptop.credentialId as never })).toBeNull();
      expect(await t.db.collection(PASSKEY_CREDENTIALS_COLLECTION).findOne({ _id: phone.credentialId as never })).toMatchObject({ userId });

      // Log in with the other passkey (lastUsedAt set); the removed one no longer works.
      expect((await passkeyLogin(userId, orgId, laptop)).status).toBe(400);
      const login = await passkeyLogin(userId, orgId, phone);
      expect(login.status).toBe(200);
      expect((await call('get', '/mfa/authenticators', me)).body.data).toEqual([
        expect.objectContaining({ id: b.id, name: 'Phone', lastUsedAt: clock.now().toISOString() }),
      ]);

      await settle();
      const mine = eventsAbout(userId).filter((e) => e.type.startsWith('MfaAuthenticator'));
      expect(mine.map((e) => [e.type, e.data])).toEqual([
        ['MfaAuthenticatorRenamed', { userId, orgId, authenticatorId: b.id, type: 'PASSKEY', name: 'Phone' }],
        ['MfaAuthenticatorRemoved', { userId, orgId, authenticatorId: a.id, type: 'PASSKEY', removedBy: userId }],
      ]);
      // Removing one of two passkeys leaves the method enabled: no MfaMethodDisabled.
      expect(eventsAbout(userId).filter((e) => e.type === 'MfaMethodDisabled')).toEqual([]);

      // Under enforcement the last method stays.
      await enforce(orgId, { enforced: true });
      await refusedWithoutTrace({ users: [userId] }, async () => {
        const res = await call('delete', `/mfa/authenticators/${b.id}`, me);
        expect([res.status, res.body.code]).toEqual([403, 'MFA_ENFORCED_BY_ORG']);
      });
    });

    it('the authenticator app and the email address are listed without secrets, with backup codes counted; removing the app removes the method', async () => {
      const userId = uniqueName('totp-owner');
      const orgId = uniqueName('org');
      const me = { sub: userId, orgId, orgRole: USER, amr: STEPPED };
      const secret = await enrollTotp(userId, orgId);
      await registerPasskey(userId, orgId, 'Key');
      expect((await call('post', '/mfa/verify-login', { ...me, amr: PASSWORD }, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret) })).status).toBe(200);
      const list = await call('get', '/mfa/authenticators', me);
      const stored = await doc(userId);
      expect(list.body.data).toEqual([
        expect.objectContaining({ type: 'PASSKEY', name: 'Key' }),
        { id: 'totp', type: 'GOOGLE_AUTH', enabled: true, name: null, createdAt: expect.any(String), lastUsedAt: clock.now().toISOString() },
        {
          id: 'backup-codes',
          type: 'BACKUP_CODES',
          enabled: true,
          name: null,
          createdAt: expect.any(String),
          lastUsedAt: null,
          remaining: 10,
          generatedAt: expect.any(String),
        },
      ]);
      const text = JSON.stringify(list.body);
      expect(text).not.toContain(stored!.totp.secret.ciphertext);
      expect(text).not.toContain(stored!.backupCodes[0].hash);

      expect((await call('patch', '/mfa/authenticators/totp', me, { name: 'Authy' })).status).toBe(200);
      const res = await call('delete', '/mfa/authenticators/totp', me);
      expect(res.status).toBe(200);
      const after = await doc(userId);
      expect(after).toMatchObject({ totp: null, enabledMethods: ['PASSKEY'], primaryMethod: 'PASSKEY', methods: { GOOGLE_AUTH: { status: 'none' } } });
      await settle();
      const types = eventsAbout(userId).map((e) => e.type);
      expect(types.slice(-3)).toEqual(['MfaAuthenticatorRemoved', 'MfaMethodDisabled', 'MfaPrimaryMethodChanged']);
      expect(eventsAbout(userId).at(-2)!.data).toEqual({ userId, orgId, method: 'GOOGLE_AUTH', enabledMethods: ['PASSKEY'] });
      // The status shows the change and nothing secret.
      const status = await call('get', '/mfa/status', me);
      expect(status.body.data).toMatchObject({ enabledMethods: ['PASSKEY'], primaryMethod: 'PASSKEY' });
      expect(JSON.stringify(status.body)).not.toMatch(/secret|hash|publicKey|credentialId|tokenHash/i);
    });
  });

  describe('an admin removes a member’s lost key without wiping the rest', () => {
    it('authority rules first (each refusal changes nothing), then the key goes and the other factors stay; the report counts methods', async () => {
      const orgId = uniqueName('org');
      const otherOrg = uniqueName('org-other');
      const target = uniqueName('member');
      const admin = uniqueName('admin');
      await member(orgId, target, USER);
      await member(orgId, admin, ADMIN);
      const secret = await enrollTotp(target, orgId);
      await registerPasskey(target, orgId, 'Lost key');
      const own = (await call('get', '/mfa/authenticators', { sub: target, orgId, orgRole: USER, amr: PASSWORD })).body.data;
      const lost = own.find((v: { type: string }) => v.type === 'PASSKEY');
      const path = `/mfa/organization/members/${target}/authenticators`;

      await refusedWithoutTrace({ users: [target] }, async () => {
        const plain = await call('delete', `${path}/${lost.id}`, { sub: uniqueName('peer'), orgId, orgRole: USER, amr: STEPPED });
        expect([plain.status, plain.body.code]).toEqual([403, 'FORBIDDEN']);
        const elsewhere = await call('delete', `${path}/${lost.id}`, { sub: uniqueName('other-admin'), orgId: otherOrg, orgRole: OWNER, amr: STEPPED });
        expect([elsewhere.status, elsewhere.body.code]).toEqual([404, 'USER_NOT_FOUND']);
        const noMfa = await call('delete', `${path}/${lost.id}`, { sub: admin, orgId, orgRole: ADMIN, amr: STEPPED });
        expect([noMfa.status, noMfa.body.code]).toEqual([403, 'ADMIN_MFA_REQUIRED']);
        const readPlain = await call('get', path, { sub: uniqueName('peer'), orgId, orgRole: USER, amr: STEPPED });
        expect([readPlain.status, readPlain.body.code]).toEqual([403, 'FORBIDDEN']);
      });
      await seedAdminMfa(t.db, admin);
      await refusedWithoutTrace({ users: [target] }, async () => {
        const password = await call('delete', `${path}/${lost.id}`, { sub: admin, orgId, orgRole: ADMIN, amr: PASSWORD });
        expect([password.status, password.body.code]).toEqual([403, 'STEP_UP_REQUIRED']);
        const unknown = await call('delete', `${path}/pk-AAAAAAAAAAAAAAAAAAAAAA`, { sub: admin, orgId, orgRole: ADMIN, amr: STEPPED });
        expect([unknown.status, unknown.body.code]).toEqual([404, 'AUTHENTICATOR_NOT_FOUND']);
      });

      // Reading the member's list needs the authority, not step-up; no secret in it.
      const read = await call('get', path, { sub: admin, orgId, orgRole: ADMIN, amr: PASSWORD });
      expect(read.status).toBe(200);
      expect(read.body.data).toEqual(own);

      const report = async () =>
        (await call('get', '/mfa/organization/members', { sub: admin, orgId, orgRole: ADMIN, amr: PASSWORD })).body.data.items.find(
          (i: { userId: string }) => i.userId === target,
        );
      expect((await report()).methodCounts).toEqual({ passkeys: 1, authenticatorApps: 1, emailAddresses: 0, backupCodesRemaining: 10 });

      const ok = await call('delete', `${path}/${lost.id}`, { sub: admin, orgId, orgRole: ADMIN, amr: STEPPED });
      expect(ok.body).toEqual({ success: true, message: 'Authenticator removed' });
      const after = await doc(target);
      expect(after).toMatchObject({ passkeys: [], enabledMethods: ['GOOGLE_AUTH'], primaryMethod: 'GOOGLE_AUTH', methods: { PASSKEY: { status: 'none' } } });
      expect(after!.totp).not.toBeNull();
      expect((await report()).methodCounts).toEqual({ passkeys: 0, authenticatorApps: 1, emailAddresses: 0, backupCodesRemaining: 10 });
      await settle();
      const removed = eventsAbout(target).filter((e) => e.type === 'MfaAuthenticatorRemoved');
      expect(removed).toHaveLength(1);
      expect(removed[0].data).toEqual({ userId: target, orgId, orgIds: [orgId], authenticatorId: lost.id, type: 'PASSKEY', removedBy: admin });
      expect(removed[0].actortype).toBe('admin');
      // The member still logs in with the app.
      expect(
        (await call('post', '/mfa/verify-login', { sub: target, orgId, orgRole: USER, amr: PASSWORD }, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret) }))
          .status,
      ).toBe(200);
    });
  });

  describe('remember this device, under org policy', () => {
    it('policy → deviceToken → login without a second factor → list → revoke; malformed, foreign and revoked tokens refused', async () => {
      const orgId = uniqueName('org');
      const userId = uniqueName('traveller');
      const me = { sub: userId, orgId, orgRole: USER, amr: PASSWORD };
      await enforce(orgId, { enforced: true, rememberDeviceDays: 30 });
      const policy = await call('get', '/mfa/organization', { sub: `owner-${orgId}`, orgId, orgRole: OWNER, amr: PASSWORD });
      expect(policy.body.data).toMatchObject({ enforced: true, rememberDeviceDays: 30 });
      const secret = await enrollTotp(userId, orgId);

      const login = await call('post', '/mfa/verify-login', me, {
        mfaType: 'GOOGLE_AUTH',
        code: codeAt(secret),
        rememberDevice: true,
        deviceName: ' Home PC ',
      });
      expect(login.status).toBe(200);
      const { deviceToken, deviceId, deviceExpiresAt } = login.body.data;
      secrets.push(deviceToken);
      expect(deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
      expect(deviceExpiresAt).toBe(new Date(clock.now().getTime() + 30 * DAY).toISOString());
      const stored = await doc(userId);
      expect(stored!.trustedDevices).toEqual([
        {
          id: deviceId,
          tokenHash: sha256Hex(deviceToken),
          name: 'Home PC',
          createdAt: clock.now(),
          lastUsedAt: null,
          expiresAt: new Date(deviceExpiresAt),
          method: 'GOOGLE_AUTH',
          authenticatorId: 'totp',
          acr: 'aal2',
        },
      ]);
      expect(JSON.stringify(stored)).not.toContain(deviceToken);

      clock.advance(STEP_MS);
      const remembered = await call('post', '/mfa/verify-login', me, { mfaType: 'TRUSTED_DEVICE', token: deviceToken });
      expect(remembered.status).toBe(200);
      expect(remembered.body.data).toMatchObject({ verified: true, method: 'TRUSTED_DEVICE' });
      expect(remembered.body.data.deviceToken).toBeUndefined();
      expect(decodeJwt(remembered.body.data.mfaToken)).toMatchObject({ sub: userId, amr: ['mfa'], acr: 'aal2' });
      const devices = await call('get', '/mfa/trusted-devices', me);
      expect(devices.body.data).toEqual([
        { id: deviceId, name: 'Home PC', createdAt: expect.any(String), lastUsedAt: clock.now().toISOString(), expiresAt: deviceExpiresAt },
      ]);
      expect(JSON.stringify(devices.body)).not.toMatch(/tokenHash|authenticatorId/);
      // Asking to remember a device that logged in as a remembered device changes nothing: no new token or device.
      clock.advance(STEP_MS);
      const again = await call('post', '/mfa/verify-login', me, { mfaType: 'TRUSTED_DEVICE', token: deviceToken, rememberDevice: true, deviceName: 'Again' });
      expect(again.status).toBe(200);
      expect(again.body.data.deviceToken).toBeUndefined();
      expect((await doc(userId))!.trustedDevices).toEqual([expect.objectContaining({ id: deviceId, name: 'Home PC' })]);

      // Malformed tokens: 400 before anything is read. Another user's token: they have no device (not counted).
      const other = uniqueName('other');
      await enrollTotp(other, orgId);
      await refusedWithoutTrace({ users: [userId, other] }, async () => {
        for (const token of ['short', `${deviceToken}x`, deviceToken.replace(/.$/, '*')]) {
          const res = await call('post', '/mfa/verify-login', me, { mfaType: 'TRUSTED_DEVICE', token });
          expect([token, res.status, res.body.code]).toEqual([token, 400, 'VALIDATION_FAILED']);
        }
        const missing = await call('post', '/mfa/verify-login', me, { mfaType: 'TRUSTED_DEVICE' });
        expect([missing.status, missing.body.code]).toEqual([400, 'VALIDATION_FAILED']);
        const foreign = await call(
          'post',
          '/mfa/verify-login',
          { sub: other, orgId, orgRole: USER, amr: PASSWORD },
          { mfaType: 'TRUSTED_DEVICE', token: deviceToken },
        );
        expect([foreign.status, foreign.body.code]).toEqual([400, 'METHOD_NOT_ENABLED']);
        const badName = await call('post', '/mfa/verify-login', me, { mfaType: 'GOOGLE_AUTH', code: '000000', rememberDevice: true, deviceName: 'tab\there' });
        expect([badName.status, badName.body.code]).toEqual([400, 'VALIDATION_FAILED']);
        const unknownDevice = await call('delete', '/mfa/trusted-devices/td-unknown', me);
        expect([unknownDevice.status, unknownDevice.body.code]).toEqual([404, 'TRUSTED_DEVICE_NOT_FOUND']);
        const othersDevice = await call('delete', `/mfa/trusted-devices/${deviceId}`, { sub: other, orgId, orgRole: USER, amr: PASSWORD });
        expect([othersDevice.status, othersDevice.body.code]).toEqual([404, 'TRUSTED_DEVICE_NOT_FOUND']);
      });

      // Revoked: gone from the list; its token is a failed verification (no mfaToken); a second revoke is 404.
      expect((await call('delete', `/mfa/trusted-devices/${deviceId}`, me)).body).toEqual({ success: true, message: 'Trusted device revoked' });
      expect((await doc(userId))!.trustedDevices).toEqual([]);
      expect((await call('get', '/mfa/trusted-devices', me)).body.data).toEqual([]);
      const after = await call('post', '/mfa/verify-login', me, { mfaType: 'TRUSTED_DEVICE', token: deviceToken });
      expect([after.status, after.body.code, after.body.data]).toEqual([400, 'METHOD_NOT_ENABLED', undefined]);
      await refusedWithoutTrace({ users: [userId] }, async () => {
        const again = await call('delete', `/mfa/trusted-devices/${deviceId}`, me);
        expect([again.status, again.body.code]).toEqual([404, 'TRUSTED_DEVICE_NOT_FOUND']);
      });

      await settle();
      const events = eventsAbout(userId).filter((e) => e.type.startsWith('TrustedDevice'));
      expect(events.map((e) => [e.type, e.data])).toEqual([
        ['TrustedDeviceRegistered', { userId, orgId, deviceId, expiresAt: deviceExpiresAt }],
        ['TrustedDeviceRevoked', { userId, orgId, deviceId, reason: 'user' }],
      ]);
      const verified = eventsAbout(userId)
        .filter((e) => e.type === 'MfaVerificationSucceeded')
        .map((e) => (e.data as { method: string }).method);
      expect(verified).toEqual(['GOOGLE_AUTH', 'TRUSTED_DEVICE', 'TRUSTED_DEVICE']);
    });

    it('a forbidding policy gives 200 without deviceToken; the smallest of several orgs applies; lowering it shortens devices', async () => {
      const generous = uniqueName('org-generous');
      const strict = uniqueName('org-strict');
      const userId = uniqueName('two-orgs');
      await enforce(generous, { enforced: true, rememberDeviceDays: 30 });
      const secret = await enrollTotp(userId, generous);
      const me = { sub: userId, orgId: generous, orgRole: USER, amr: PASSWORD };

      // Another organization of the user (no remember policy: 0) forbids it.
      await member(strict, userId, USER);
      const forbidden = await call('post', '/mfa/verify-login', me, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret), rememberDevice: true });
      expect(forbidden.status).toBe(200);
      expect(forbidden.body.data.deviceToken).toBeUndefined();
      expect((await doc(userId))!.trustedDevices).toEqual([]);
      clock.advance(STEP_MS);

      await enforce(strict, { enforced: true, rememberDeviceDays: 7 });
      const granted = await call('post', '/mfa/verify-login', me, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret), rememberDevice: true });
      expect(granted.body.data.deviceExpiresAt).toBe(new Date(clock.now().getTime() + 7 * DAY).toISOString());
      const token = granted.body.data.deviceToken as string;
      secrets.push(token);

      // Lowered to 1 day: two days later the 7-day device is expired.
      await enforce(strict, { enforced: true, rememberDeviceDays: 1 });
      expect((await call('get', '/mfa/trusted-devices', me)).body.data[0].expiresAt).toBe(new Date(clock.now().getTime() + DAY).toISOString());
      clock.advance(2 * DAY);
      const expired = await call('post', '/mfa/verify-login', me, { mfaType: 'TRUSTED_DEVICE', token });
      expect([expired.status, expired.body.code]).toEqual([400, 'VERIFICATION_FAILED']);
      await settle();
      expect(
        eventsAbout(userId)
          .filter((e) => e.type === 'MfaVerificationFailed')
          .at(-1)!.data,
      ).toEqual({
        userId,
        orgId: generous,
        method: 'TRUSTED_DEVICE',
        reason: 'expired',
      });
      expect((await doc(userId))!.verification.families.trustedDevice).toMatchObject({ failures: 1 });
      // Out of range policy values are refused without trace.
      await refusedWithoutTrace({ orgs: [strict] }, async () => {
        for (const rememberDeviceDays of [-1, 91, 1.5, '30']) {
          const res = await call(
            'post',
            '/mfa/organization/enforce',
            { sub: `owner-${strict}`, orgId: strict, orgRole: OWNER, amr: STEPPED },
            { enforced: true, rememberDeviceDays },
          );
          expect([rememberDeviceDays, res.status, res.body.code]).toEqual([rememberDeviceDays, 400, 'VALIDATION_FAILED']);
        }
        const lifted = await call(
          'post',
          '/mfa/organization/enforce',
          { sub: `owner-${strict}`, orgId: strict, orgRole: OWNER, amr: STEPPED },
          { enforced: false, rememberDeviceDays: 0 },
        );
        expect([lifted.status, lifted.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      });
    });

    it('lengthening rememberDeviceDays lowers security: the admin needs MFA and step-up', async () => {
      const orgId = uniqueName('org');
      const owner = `owner-${orgId}`;
      await refusedWithoutTrace({ orgs: [orgId] }, async () => {
        const res = await call(
          'post',
          '/mfa/organization/enforce',
          { sub: owner, orgId, orgRole: OWNER, amr: PASSWORD },
          { enforced: true, rememberDeviceDays: 30 },
        );
        expect([res.status, res.body.code]).toEqual([403, 'ADMIN_MFA_REQUIRED']);
      });
      await enforce(orgId, { enforced: true, rememberDeviceDays: 30 });
      await refusedWithoutTrace({ orgs: [orgId] }, async () => {
        const res = await call(
          'post',
          '/mfa/organization/enforce',
          { sub: owner, orgId, orgRole: OWNER, amr: PASSWORD },
          { enforced: true, rememberDeviceDays: 60 },
        );
        expect([res.status, res.body.code]).toEqual([403, 'STEP_UP_REQUIRED']);
      });
      // Shortening only raises security.
      expect(
        (await call('post', '/mfa/organization/enforce', { sub: owner, orgId, orgRole: OWNER, amr: PASSWORD }, { enforced: true, rememberDeviceDays: 10 }))
          .status,
      ).toBe(200);
      await settle();
      expect(
        kafka.events((e) => e.subject === orgId && e.type === 'OrgMfaEnforced').map((e) => (e.data as { rememberDeviceDays: number }).rememberDeviceDays),
      ).toEqual([30, 10]);
    });

    it('disabling the factor that remembered a device revokes it: re-enabling the factor does not bring it back', async () => {
      const orgId = uniqueName('org');
      const userId = uniqueName('disabler');
      await member(orgId, userId, USER);
      await enforce(orgId, { enforced: true, rememberDeviceDays: 30 });
      const me = { sub: userId, orgId, orgRole: USER, amr: PASSWORD };
      const secret = await enrollTotp(userId, orgId);
      await registerPasskey(userId, orgId, 'Phone');
      const remembered = await call('post', '/mfa/verify-login', me, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret), rememberDevice: true });
      expect(remembered.status).toBe(200);
      clock.advance(STEP_MS);
      const { deviceToken, deviceId } = remembered.body.data as { deviceToken: string; deviceId: string };
      secrets.push(deviceToken);

      expect((await call('post', '/mfa/disable', { ...me, amr: STEPPED }, { mfaType: 'GOOGLE_AUTH' })).status).toBe(200);
      expect((await doc(userId))!.trustedDevices).toEqual([]);
      expect((await call('post', '/mfa/enable', { ...me, amr: STEPPED }, { mfaType: 'GOOGLE_AUTH' })).status).toBe(200);
      // No device left (before this change the token logged in again here, with 200).
      const refused = await call('post', '/mfa/verify-login', me, { mfaType: 'TRUSTED_DEVICE', token: deviceToken });
      expect([refused.status, refused.body.code]).toEqual([400, 'METHOD_NOT_ENABLED']);
      expect((await call('get', '/mfa/trusted-devices', me)).body.data).toEqual([]);

      await settle();
      const revoked = eventsAbout(userId).filter((e) => e.type === 'TrustedDeviceRevoked');
      expect(revoked.map((e) => e.data)).toEqual([{ userId, orgId, deviceId, reason: 'factor_removed' }]);
    });

    it('reset revokes every device; an admin revokes a member’s devices; removing the factor that created one revokes it', async () => {
      const orgId = uniqueName('org');
      const userId = uniqueName('resetter');
      const admin = uniqueName('admin');
      await member(orgId, userId, USER);
      await member(orgId, admin, ADMIN);
      await enforce(orgId, { enforced: true, rememberDeviceDays: 30 });
      const me = { sub: userId, orgId, orgRole: USER, amr: PASSWORD };
      const secret = await enrollTotp(userId, orgId);
      const phone = await registerPasskey(userId, orgId, 'Phone');
      const remember = async (via: 'GOOGLE_AUTH' | 'PASSKEY') => {
        const res =
          via === 'GOOGLE_AUTH'
            ? await call('post', '/mfa/verify-login', me, { mfaType: 'GOOGLE_AUTH', code: codeAt(secret), rememberDevice: true })
            : await (async () => {
                const options = await call('post', '/mfa/passkey/auth-options', me);
                return call('post', '/mfa/verify-login', me, {
                  mfaType: 'PASSKEY',
                  credential: phone.assert(options.body.data.challenge),
                  rememberDevice: true,
                });
              })();
        expect(res.status).toBe(200);
        clock.advance(STEP_MS);
        secrets.push(res.body.data.deviceToken);
        return res.body.data as { deviceToken: string; deviceId: string };
      };

      // The passkey that remembered a device is removed: that device goes with it, the other stays.
      const byPasskey = await remember('PASSKEY');
      const byApp = await remember('GOOGLE_AUTH');
      const passkeyId = (await doc(userId))!.passkeys[0].id;
      expect((await call('delete', `/mfa/authenticators/${passkeyId}`, { ...me, amr: STEPPED })).status).toBe(200);
      expect((await doc(userId))!.trustedDevices.map((d: { id: string }) => d.id)).toEqual([byApp.deviceId]);
      const gone = await call('post', '/mfa/verify-login', me, { mfaType: 'TRUSTED_DEVICE', token: byPasskey.deviceToken });
      expect([gone.status, gone.body.code]).toEqual([400, 'VERIFICATION_FAILED']);

      // An admin revokes all (authority rules; refusals change nothing).
      const adminPath = `/mfa/organization/members/${userId}/trusted-devices`;
      await refusedWithoutTrace({ users: [userId] }, async () => {
        const plain = await call('delete', adminPath, { sub: uniqueName('peer'), orgId, orgRole: USER, amr: STEPPED });
        expect([plain.status, plain.body.code]).toEqual([403, 'FORBIDDEN']);
        const noMfa = await call('delete', adminPath, { sub: admin, orgId, orgRole: ADMIN, amr: STEPPED });
        expect([noMfa.status, noMfa.body.code]).toEqual([403, 'ADMIN_MFA_REQUIRED']);
      });
      await seedAdminMfa(t.db, admin);
      expect((await call('delete', adminPath, { sub: admin, orgId, orgRole: ADMIN, amr: STEPPED })).body).toEqual({
        success: true,
        message: 'Trusted devices revoked',
      });
      expect((await doc(userId))!.trustedDevices).toEqual([]);

      // Reset revokes every remaining device.
      const a = await remember('GOOGLE_AUTH');
      const b = await remember('GOOGLE_AUTH');
      expect((await call('post', '/mfa/reset', { ...me, amr: STEPPED }, {})).status).toBe(200);
      expect((await doc(userId))!.trustedDevices).toEqual([]);
      const afterReset = await call('post', '/mfa/verify-login', me, { mfaType: 'TRUSTED_DEVICE', token: a.deviceToken });
      expect([afterReset.status, afterReset.body.code]).toEqual([400, 'METHOD_NOT_ENABLED']);

      await settle();
      const revoked = eventsAbout(userId)
        .filter((e) => e.type === 'TrustedDeviceRevoked')
        .map((e) => [(e.data as { deviceId: string }).deviceId, (e.data as { reason: string }).reason]);
      expect(revoked).toEqual([
        [byPasskey.deviceId, 'factor_removed'],
        [byApp.deviceId, 'admin'],
        [a.deviceId, 'mfa_reset'],
        [b.deviceId, 'mfa_reset'],
      ]);
      const resetEvents = eventsAbout(userId).map((e) => e.type);
      expect(resetEvents.slice(-3)).toEqual(['MfaReset', 'TrustedDeviceRevoked', 'TrustedDeviceRevoked']);
    });
  });
});
