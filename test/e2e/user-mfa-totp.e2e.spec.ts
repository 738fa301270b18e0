import { Topics } from '@mfa/contracts';
import type { EventEnvelope } from '@mfa/contracts';
import { randomUUID } from 'node:crypto';
import { KafkaCollector } from '../harness/kafka-collector';
import { ManualClock, startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';
import { OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';
import { base32Decode, hotp, totpStepAt } from '../../apps/mfa-service/src/user-mfa/factors/totp';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { STEPPED_UP } from '../harness/tokens';
import { seedAdminMfa } from '../harness/admin-mfa';

/** Reads the QR code in a PNG back to its text, as a phone camera would. */
function decodeQrPng(png: Buffer): string | null {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data ?? null;
}

const OWNER = 255;
const ADMIN = 254;
const USER = 0;

interface SetupData {
  secret: string;
  otpauthUrl: string;
  qrCode: string;
  backupCodes: string[];
}

describe('user MFA factor management: GOOGLE_AUTH (HTTP → MongoDB → outbox → Kafka)', () => {
  let t: TestApp;
  let kafka: KafkaCollector;
  /** Everything a test ever sent or received that must never appear in a stored document or a record. */
  const secrets: string[] = [];

  beforeAll(async () => {
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.userMfa, Topics.delivery]);
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    await kafka.stop();
  });

  const auth = async (sub: string, orgId?: string, orgRole?: number) =>
    `Bearer ${await t.token({ sub, orgId, orgRole, email: `${sub}@example.com`, amr: STEPPED_UP })}`;
  const post = async (path: string, who: string, body?: unknown, orgId?: string, orgRole?: number) => {
    const req = t.http.post(path).set('Authorization', await auth(who, orgId, orgRole));
    return body === undefined ? req : req.send(body as object);
  };
  const get = async (path: string, who: string, orgId?: string, orgRole?: number) => t.http.get(path).set('Authorization', await auth(who, orgId, orgRole));
  const doc = (userId: string) => t.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never });
  const userEvents = (userId: string) => kafka.events((e) => e.subject === userId);
  const settle = async () => {
    await t.app.get(OutboxRelay).whenIdle();
    await new Promise((resolve) => setTimeout(resolve, 400));
  };
  /** The code an authenticator app shows now (or `offset` steps away). */
  const codeFor = (secret: string, offset = 0) => hotp(base32Decode(secret), totpStepAt(new Date()) + offset);
  /** A well-formed code that matches none of the accepted window steps. */
  const wrongCodeFor = (secret: string) => {
    const valid = new Set([-1, 0, 1].map((o) => codeFor(secret, o)));
    for (let n = 0; ; n++) {
      const candidate = String((Number(codeFor(secret)) + 500_000 + n) % 1_000_000).padStart(6, '0');
      if (!valid.has(candidate)) return candidate;
    }
  };

  async function setUpTotp(userId: string, orgId?: string, orgRole?: number): Promise<SetupData> {
    const setup = await post('/mfa/setup', userId, { mfaType: 'GOOGLE_AUTH' }, orgId, orgRole);
    expect(setup.status).toBe(200);
    const data = setup.body.data as SetupData;
    const code = codeFor(data.secret);
    secrets.push(data.secret, ...data.backupCodes, code);
    const verified = await post('/mfa/verify-setup', userId, { mfaType: 'GOOGLE_AUTH', code }, orgId, orgRole);
    expect(verified.status).toBe(200);
    return data;
  }

  function expectNoSecretsIn(text: string): void {
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      if (secret.includes('-')) expect(text).not.toContain(secret.replace('-', ''));
    }
  }

  it('walks setup → verify-setup → status → methods → disable → enable → primary → reset, with the documented events and no plaintext secret', async () => {
    const userId = uniqueName('totp-user');
    const orgId = uniqueName('org');

    // ---- setup: secret, URI, QR and 10 backup codes, shown once
    const setup = await post('/mfa/setup', userId, { mfaType: 'GOOGLE_AUTH', deviceInfo: { name: 'Phone' } }, orgId, USER);
    expect(setup.status).toBe(200);
    expect(setup.body.success).toBe(true);
    const data = setup.body.data as SetupData;
    expect(Object.keys(data).sort()).toEqual(['backupCodes', 'otpauthUrl', 'qrCode', 'secret']);
    expect(data.secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits, base32
    const uri = new URL(data.otpauthUrl);
    expect(uri.protocol).toBe('otpauth:');
    expect(data.otpauthUrl.startsWith(`otpauth://totp/mfa-service:${encodeURIComponent(`${userId}@example.com`)}?`)).toBe(true);
    expect(Object.fromEntries(uri.searchParams)).toEqual({ secret: data.secret, issuer: 'mfa-service', algorithm: 'SHA1', digits: '6', period: '30' });
    expect(data.qrCode.startsWith('data:image/png;base64,')).toBe(true);
    expect(decodeQrPng(Buffer.from(data.qrCode.slice('data:image/png;base64,'.length), 'base64'))).toBe(data.otpauthUrl);
    expect(data.backupCodes).toHaveLength(10);
    expect(new Set(data.backupCodes).size).toBe(10);
    for (const code of data.backupCodes) expect(code).toMatch(/^[0-9a-z]{4}(-[0-9a-z]{4}){5}$/);
    secrets.push(data.secret, ...data.backupCodes);

    // Pending: stored sealed, nothing enabled yet, membership's orgId untouched.
    const pending = await doc(userId);
    expect(pending).toMatchObject({
      orgId,
      version: 1,
      enabledMethods: [],
      primaryMethod: null,
      methods: { GOOGLE_AUTH: { status: 'pending' }, MAGIC_LINK: { status: 'none' }, PASSKEY: { status: 'none' } },
      totp: { secret: { keyId: 'test-k1', iv: expect.any(String), tag: expect.any(String), ciphertext: expect.any(String) }, lastUsedStep: null },
    });
    const expiresIn = (pending?.totp.pendingExpiresAt as Date).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(9 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(10 * 60_000);
    expect(pending?.totp.pendingBackupCodes).toHaveLength(10);
    expectNoSecretsIn(JSON.stringify(pending));
    expect((await get('/mfa/status', userId, orgId, USER)).body.data).toMatchObject({ isEnabled: false, primaryMethod: null, backupCodesRemaining: 0 });

    // ---- verify-setup: a wrong code fails and changes nothing; the right one enables
    const wrong = wrongCodeFor(data.secret);
    const failed = await post('/mfa/verify-setup', userId, { mfaType: 'GOOGLE_AUTH', code: wrong }, orgId, USER);
    expect(failed.status).toBe(400);
    expect(failed.body).toEqual({ success: false, error: 'MFA setup verification failed', code: 'VERIFICATION_FAILED' });
    expect((await doc(userId))?.version).toBe(1);

    const code = codeFor(data.secret);
    secrets.push(code, wrong);
    const verified = await post('/mfa/verify-setup', userId, { mfaType: 'GOOGLE_AUTH', code }, orgId, USER);
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ success: true, message: 'MFA setup verified and enabled' });
    // The same code again: the setup is no longer pending.
    const again = await post('/mfa/verify-setup', userId, { mfaType: 'GOOGLE_AUTH', code }, orgId, USER);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: 'MFA setup verification failed', code: 'SETUP_NOT_PENDING' });

    const enabled = await doc(userId);
    expect(enabled).toMatchObject({
      orgId,
      enabledMethods: ['GOOGLE_AUTH'],
      primaryMethod: 'GOOGLE_AUTH',
      methods: { GOOGLE_AUTH: { status: 'enabled', configuredAt: expect.any(Date), enabledAt: expect.any(Date) } },
      totp: { lastUsedStep: expect.any(Number), pendingExpiresAt: null, pendingBackupCodes: [] },
    });
    expect(enabled?.backupCodes).toHaveLength(10);
    for (const entry of enabled?.backupCodes ?? []) expect(entry).toEqual({ hash: expect.stringMatching(/^[0-9a-f]{64}$/), usedAt: null });
    expectNoSecretsIn(JSON.stringify(enabled));

    // ---- status and methods
    const status = await get('/mfa/status', userId, orgId, USER);
    expect(status.status).toBe(200);
    expect(status.body.data).toMatchObject({
      isEnabled: true,
      isRequired: true,
      isEnforced: false,
      enabledMethods: ['GOOGLE_AUTH'],
      primaryMethod: 'GOOGLE_AUTH',
      backupCodesRemaining: 10,
    });
    const methods = await get('/mfa/methods', userId, orgId, USER);
    expect(methods.status).toBe(200);
    expect(methods.body.success).toBe(true);
    expect(methods.body.data).toEqual([
      { type: 'GOOGLE_AUTH', name: expect.any(String), description: expect.any(String), isAvailable: true, isConfigured: true, isEnabled: true },
      { type: 'MAGIC_LINK', name: expect.any(String), description: expect.any(String), isAvailable: true, isConfigured: false, isEnabled: false },
      { type: 'PASSKEY', name: expect.any(String), description: expect.any(String), isAvailable: true, isConfigured: false, isEnabled: false },
    ]);

    // An enabled method cannot be set up again.
    const conflict = await post('/mfa/setup', userId, { mfaType: 'GOOGLE_AUTH' }, orgId, USER);
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ success: false, code: 'METHOD_ALREADY_ENABLED' });

    // ---- disable (twice: the second is a no-op), enable (twice), primary (already primary: no-op)
    const disabled = await post('/mfa/disable', userId, { mfaType: 'GOOGLE_AUTH' }, orgId, USER);
    expect(disabled.body).toEqual({ success: true, message: 'MFA method disabled' });
    expect((await post('/mfa/disable', userId, { mfaType: 'GOOGLE_AUTH' }, orgId, USER)).status).toBe(200);
    expect((await get('/mfa/status', userId, orgId, USER)).body.data).toMatchObject({ isEnabled: false, enabledMethods: [], primaryMethod: null });
    expect((await get('/mfa/methods', userId, orgId, USER)).body.data[0]).toMatchObject({ isConfigured: true, isEnabled: false });

    const reenabled = await post('/mfa/enable', userId, { mfaType: 'GOOGLE_AUTH' }, orgId, USER);
    expect(reenabled.status).toBe(200);
    expect(reenabled.body).toEqual({ success: true, message: 'MFA method enabled' });
    expect((await post('/mfa/enable', userId, { mfaType: 'GOOGLE_AUTH' }, orgId, USER)).body).toEqual({ success: true, message: 'MFA method enabled' });
    const primary = await post('/mfa/primary', userId, { mfaType: 'GOOGLE_AUTH' }, orgId, USER);
    expect(primary.status).toBe(200);
    expect(primary.body).toEqual({ success: true, message: 'Primary MFA method updated' });
    expect((await get('/mfa/status', userId, orgId, USER)).body.data).toMatchObject({
      isEnabled: true,
      primaryMethod: 'GOOGLE_AUTH',
      backupCodesRemaining: 10,
    });

    // ---- reset (self): everything removed, orgId (membership's) kept
    const reset = await post('/mfa/reset', userId, {}, orgId, USER);
    expect(reset.status).toBe(200);
    expect(reset.body).toEqual({ success: true, message: 'MFA reset successfully' });
    const cleared = await doc(userId);
    expect(cleared).toMatchObject({
      orgId,
      enabledMethods: [],
      primaryMethod: null,
      totp: null,
      backupCodes: [],
      methods: { GOOGLE_AUTH: { status: 'none' }, MAGIC_LINK: { status: 'none' }, PASSKEY: { status: 'none' } },
    });
    expect((await get('/mfa/status', userId, orgId, USER)).body.data).toMatchObject({ isEnabled: false, primaryMethod: null, backupCodesRemaining: 0 });
    // A second reset has nothing to remove: 200, no event.
    expect((await post('/mfa/reset', userId, undefined, orgId, USER)).status).toBe(200);

    // ---- the events, in sequence order, on the user's key; no secret anywhere in a record
    await kafka.waitFor(() => userEvents(userId).length >= 8, 20_000, 'the walk’s 8 events');
    await settle();
    const events = userEvents(userId);
    expect(events.map((e) => [e.type, e.sequence])).toEqual([
      ['MfaMethodSetupStarted', 1],
      ['MfaMethodEnabled', 2],
      ['MfaPrimaryMethodChanged', 3],
      ['MfaMethodDisabled', 4],
      ['MfaPrimaryMethodChanged', 5],
      ['MfaMethodEnabled', 6],
      ['MfaPrimaryMethodChanged', 7],
      ['MfaReset', 8],
    ]);
    expect(events.map((e) => e.data)).toEqual([
      { userId, orgId, method: 'GOOGLE_AUTH' },
      { userId, orgId, method: 'GOOGLE_AUTH', isPrimary: true, enabledMethods: ['GOOGLE_AUTH'] },
      { userId, orgId, method: 'GOOGLE_AUTH', previous: null },
      { userId, orgId, method: 'GOOGLE_AUTH', enabledMethods: [] },
      { userId, orgId, method: null, previous: 'GOOGLE_AUTH' },
      { userId, orgId, method: 'GOOGLE_AUTH', isPrimary: true, enabledMethods: ['GOOGLE_AUTH'] },
      { userId, orgId, method: 'GOOGLE_AUTH', previous: null },
      { userId, orgId, orgIds: [orgId], resetBy: userId, selfService: true },
    ]);
    for (const event of events) expect(event).toMatchObject({ userid: userId, orgid: orgId, actorid: userId, actortype: 'user' });
    const records = kafka.records.filter((r) => r.key === userId);
    expect(records).toHaveLength(8);
    for (const record of records) {
      expect(record.topic).toBe(Topics.userMfa);
      expectNoSecretsIn(record.value);
      expectNoSecretsIn(JSON.stringify(record.headers));
    }
    // The stored event log holds no secret either.
    const logged = await t.db.collection('event_log').find({ key: userId }).toArray();
    expect(logged).toHaveLength(8);
    expectNoSecretsIn(JSON.stringify(logged));
  });

  describe('bad input: a stable 4xx envelope, nothing changed, no event', () => {
    const orgId = uniqueName('org');
    const userId = uniqueName('bad-input');
    let version: number;
    let eventsBefore: number;

    beforeAll(async () => {
      await setUpTotp(userId, orgId, USER);
      expect((await post('/mfa/disable', userId, { mfaType: 'GOOGLE_AUTH' }, orgId, USER)).status).toBe(200);
      await kafka.waitFor(() => userEvents(userId).length >= 5, 20_000, 'setup events');
      await settle();
      version = (await doc(userId))?.version;
      eventsBefore = userEvents(userId).length;
    });

    const cases: Array<[string, string, unknown, number, string, string?]> = [
      ['setup: unknown mfaType', '/mfa/setup', { mfaType: 'SMS' }, 400, 'INVALID_MFA_TYPE', 'Invalid MFA type specified'],
      ['setup: BACKUP_CODE', '/mfa/setup', { mfaType: 'BACKUP_CODE' }, 400, 'INVALID_MFA_TYPE', 'Invalid MFA type specified'],
      ['setup: mfaType missing', '/mfa/setup', {}, 400, 'VALIDATION_FAILED'],
      ['setup: mfaType not a string', '/mfa/setup', { mfaType: 1 }, 400, 'VALIDATION_FAILED'],
      ['setup: unknown field', '/mfa/setup', { mfaType: 'GOOGLE_AUTH', admin: true }, 400, 'VALIDATION_FAILED'],
      ['setup: null email', '/mfa/setup', { mfaType: 'GOOGLE_AUTH', email: null }, 400, 'VALIDATION_FAILED'],
      ['setup: bad deviceInfo', '/mfa/setup', { mfaType: 'GOOGLE_AUTH', deviceInfo: { name: 5 } }, 400, 'VALIDATION_FAILED'],
      ['verify-setup: code missing', '/mfa/verify-setup', { mfaType: 'GOOGLE_AUTH' }, 400, 'VALIDATION_FAILED'],
      ['verify-setup: mfaType missing', '/mfa/verify-setup', { code: '123456' }, 400, 'VALIDATION_FAILED'],
      ['verify-setup: code is a number', '/mfa/verify-setup', { mfaType: 'GOOGLE_AUTH', code: 123456 }, 400, 'VALIDATION_FAILED'],
      ['verify-setup: 5 digits', '/mfa/verify-setup', { mfaType: 'GOOGLE_AUTH', code: '12345' }, 400, 'VALIDATION_FAILED'],
      ['verify-setup: 7 digits', '/mfa/verify-setup', { mfaType: 'GOOGLE_AUTH', code: '1234567' }, 400, 'VALIDATION_FAILED'],
      ['verify-setup: code with a space', '/mfa/verify-setup', { mfaType: 'GOOGLE_AUTH', code: '123 456' }, 400, 'VALIDATION_FAILED'],
      ['verify-setup: padded code', '/mfa/verify-setup', { mfaType: 'GOOGLE_AUTH', code: ' 123456' }, 400, 'VALIDATION_FAILED'],
      ['verify-setup: BACKUP_CODE', '/mfa/verify-setup', { mfaType: 'BACKUP_CODE', code: '123456' }, 400, 'VALIDATION_FAILED'],
      [
        'verify-setup: nothing pending',
        '/mfa/verify-setup',
        { mfaType: 'GOOGLE_AUTH', code: '123456' },
        400,
        'SETUP_NOT_PENDING',
        'MFA setup verification failed',
      ],
      ['enable: BACKUP_CODE', '/mfa/enable', { mfaType: 'BACKUP_CODE' }, 400, 'VALIDATION_FAILED'],
      ['enable: mfaType missing', '/mfa/enable', {}, 400, 'VALIDATION_FAILED'],
      ['enable: never configured', '/mfa/enable', { mfaType: 'PASSKEY' }, 400, 'METHOD_NOT_CONFIGURED'],
      ['disable: never configured', '/mfa/disable', { mfaType: 'MAGIC_LINK' }, 400, 'METHOD_NOT_CONFIGURED'],
      ['disable: unknown field', '/mfa/disable', { mfaType: 'GOOGLE_AUTH', force: true }, 400, 'VALIDATION_FAILED'],
      ['primary: BACKUP_CODE', '/mfa/primary', { mfaType: 'BACKUP_CODE' }, 400, 'VALIDATION_FAILED'],
      ['primary: a disabled method', '/mfa/primary', { mfaType: 'GOOGLE_AUTH' }, 400, 'METHOD_NOT_ENABLED'],
      ['primary: never configured', '/mfa/primary', { mfaType: 'PASSKEY' }, 400, 'METHOD_NOT_ENABLED'],
      ['reset: null resetUserId', '/mfa/reset', { resetUserId: null }, 400, 'VALIDATION_FAILED'],
      ['reset: malformed resetUserId', '/mfa/reset', { resetUserId: 'a b' }, 400, 'VALIDATION_FAILED'],
      // Endpoints that take no body refuse fields rather than silently ignoring them.
      ['regenerate: any field', '/mfa/backup-codes/regenerate', { count: 20 }, 400, 'VALIDATION_FAILED'],
      ['magic-link send: any field', '/mfa/magic-link/send', { purpose: 'setup' }, 400, 'VALIDATION_FAILED'],
      ['passkey auth-options: any field', '/mfa/passkey/auth-options', { userVerification: 'discouraged' }, 400, 'VALIDATION_FAILED'],
      ['regenerate: an array body', '/mfa/backup-codes/regenerate', [1], 400, 'VALIDATION_FAILED'],
    ];

    // Events are written only together with a version bump, so an unchanged version proves
    // that no event was stored; the last test also checks that nothing reached Kafka.
    // Every row has all six columns: jest treats a test function with more parameters than the
    // row as one that takes a `done` callback.
    it.each(cases.map(([name, path, body, status, code, error]) => [name, path, body, status, code, error ?? null] as const))(
      '%s',
      async (_name, path, body, status, code, error) => {
        const res = await post(path, userId, body, orgId, USER);
        expect(res.status).toBe(status);
        expect(res.body).toMatchObject({ success: false, code, ...(error ? { error } : {}) });
        if (code === 'VALIDATION_FAILED') expect(res.body.details.length).toBeGreaterThan(0);
        expect((await doc(userId))?.version).toBe(version);
      },
    );

    it('malformed JSON → 400, never 500', async () => {
      const res = await t.http
        .post('/mfa/enable')
        .set('Authorization', await auth(userId, orgId, USER))
        .set('Content-Type', 'application/json')
        .send('{"mfaType": ');
      expect(res.status).toBe(400);
      expect(res.body.success).toBe(false);
      expect((await doc(userId))?.version).toBe(version);
    });

    it('without a token → 401', async () => {
      for (const path of ['/mfa/setup', '/mfa/verify-setup', '/mfa/enable', '/mfa/disable', '/mfa/primary', '/mfa/reset']) {
        const res = await t.http.post(path).send({ mfaType: 'GOOGLE_AUTH' });
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ success: false, error: 'Unauthorized', code: 'UNAUTHORIZED' });
      }
      expect((await t.http.get('/mfa/methods')).status).toBe(401);
    });

    it('none of the bad requests produced an event', async () => {
      await settle();
      expect(userEvents(userId)).toHaveLength(eventsBefore);
      expect((await doc(userId))?.outbox).toEqual([]);
    });
  });

  it('under org enforcement the last enabled method cannot be disabled (403); methods show what the org allows', async () => {
    const orgId = uniqueName('org');
    const userId = uniqueName('enforced');
    await setUpTotp(userId, orgId, USER);
    const enforce = await post('/mfa/organization/enforce', `owner-${orgId}`, { enforced: true, allowedMethods: ['GOOGLE_AUTH', 'PASSKEY'] }, orgId, OWNER);
    expect(enforce.status).toBe(200);
    await settle();
    const version = (await doc(userId))?.version;
    const before = userEvents(userId).length;

    const res = await post('/mfa/disable', userId, { mfaType: 'GOOGLE_AUTH' }, orgId, USER);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ success: false, error: 'Cannot disable MFA when enforced by organization', code: 'MFA_ENFORCED_BY_ORG' });
    await settle();
    expect((await doc(userId))?.version).toBe(version);
    expect(userEvents(userId)).toHaveLength(before);
    expect((await get('/mfa/status', userId, orgId, USER)).body.data).toMatchObject({ isEnabled: true, isEnforced: true, enabledMethods: ['GOOGLE_AUTH'] });

    const methods = (await get('/mfa/methods', userId, orgId, USER)).body.data as Array<{ type: string; isAvailable: boolean }>;
    expect(methods.map((m) => [m.type, m.isAvailable])).toEqual([
      ['GOOGLE_AUTH', true],
      ['MAGIC_LINK', false],
      ['PASSKEY', true],
    ]);
    // A method the org excludes cannot be set up (it would never satisfy the policy): 403, no event.
    const excluded = await post('/mfa/setup', userId, { mfaType: 'MAGIC_LINK', email: `${userId}@example.com` }, orgId, USER);
    expect(excluded.status).toBe(403);
    expect(excluded.body).toEqual({ success: false, error: 'MFA method is not allowed by your organization', code: 'METHOD_NOT_ALLOWED' });
    await settle();
    expect((await doc(userId))?.version).toBe(version);
    expect(userEvents(userId)).toHaveLength(before);

    // Exempt members may disable their last method (granting it needs an owner with MFA).
    await seedAdminMfa(t.db, `owner-${orgId}`);
    const exempt = await t.http
      .put(`/mfa/organization/exemptions/${userId}`)
      .set('Authorization', await auth(`owner-${orgId}`, orgId, OWNER))
      .send({ reason: 'lost phone' });
    expect(exempt.status).toBe(200);
    expect((await post('/mfa/disable', userId, { mfaType: 'GOOGLE_AUTH' }, orgId, USER)).status).toBe(200);
  });

  describe('resetting another user', () => {
    const orgId = uniqueName('org');
    const otherOrg = uniqueName('org');
    const member = uniqueName('member');
    const stranger = uniqueName('stranger');

    beforeAll(async () => {
      await setUpTotp(member, orgId, USER);
      await setUpTotp(stranger, otherOrg, USER);
      await settle();
    });

    const unchanged = async (userId: string, action: () => Promise<void>) => {
      const version = (await doc(userId))?.version;
      const before = userEvents(userId).length;
      await action();
      await settle();
      expect((await doc(userId))?.version).toBe(version);
      expect(userEvents(userId)).toHaveLength(before);
    };

    it('by a plain member (or BILLING) → 403 with the documented message', async () => {
      for (const role of [USER, 1, 2]) {
        await unchanged(member, async () => {
          const res = await post('/mfa/reset', `peer-${role}`, { resetUserId: member }, orgId, role);
          expect(res.status).toBe(403);
          expect(res.body).toEqual({
            success: false,
            error: "Insufficient permissions. OWNER or ADMINISTRATOR role required to reset another user's MFA.",
            code: 'FORBIDDEN',
          });
        });
      }
    });

    it('of another organization’s user, or of an unknown user → the same 404 "User not found"', async () => {
      await unchanged(stranger, async () => {
        const res = await post('/mfa/reset', `admin-${orgId}`, { resetUserId: stranger }, orgId, ADMIN);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ success: false, error: 'User not found', code: 'USER_NOT_FOUND' });
      });
      const unknown = await post('/mfa/reset', `admin-${orgId}`, { resetUserId: `nobody-${randomUUID()}` }, orgId, OWNER);
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ success: false, error: 'User not found', code: 'USER_NOT_FOUND' });
    });

    it('by an ADMINISTRATOR who has MFA, with a password-only session → 403 STEP_UP_REQUIRED, the member unchanged', async () => {
      const admin = uniqueName('mfa-admin');
      await setUpTotp(admin, orgId, ADMIN);
      await settle();
      const passwordOnly = `Bearer ${await t.token({ sub: admin, orgId, orgRole: ADMIN, email: `${admin}@example.com`, amr: ['pwd'] })}`;
      await unchanged(member, async () => {
        const res = await t.http.post('/mfa/reset').set('Authorization', passwordOnly).send({ resetUserId: member });
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ success: false, code: 'STEP_UP_REQUIRED' });
      });
    });

    it('by an ADMINISTRATOR of the same org who has MFA and a stepped-up session → 200, MfaReset by the admin (actortype admin)', async () => {
      const admin = uniqueName('reset-admin');
      await setUpTotp(admin, orgId, ADMIN);
      const res = await post('/mfa/reset', admin, { resetUserId: member }, orgId, ADMIN);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, message: 'MFA reset successfully' });
      expect(await doc(member)).toMatchObject({ orgId, enabledMethods: [], primaryMethod: null, totp: null, backupCodes: [] });
      const [event] = (await kafka.waitFor(() => userEvents(member).some((e) => e.type === 'MfaReset'), 15_000, 'MfaReset')).filter(
        (e) => e.subject === member && e.type === 'MfaReset',
      );
      expect(event.data).toEqual({ userId: member, orgId, orgIds: [orgId], resetBy: admin, selfService: false });
      expect(event).toMatchObject({ actorid: admin, actortype: 'admin' });
    });
  });

  it('setup starts are rate limited per user: 429 RATE_LIMITED with Retry-After', async () => {
    const userId = uniqueName('limited');
    for (let i = 0; i < 10; i++) expect((await post('/mfa/setup', userId, { mfaType: 'GOOGLE_AUTH' })).status).toBe(200);
    const limited = await post('/mfa/setup', userId, { mfaType: 'GOOGLE_AUTH' });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ success: false, code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another user is not affected.
    expect((await post('/mfa/setup', uniqueName('other'), { mfaType: 'GOOGLE_AUTH' })).status).toBe(200);
  });

  it('the limit is a sliding window: spent at the end of one window, it is not spent again at the start of the next', async () => {
    const windowMs = 600_000; // MFA_SETUP_RATE_LIMIT 10 per MFA_SETUP_RATE_WINDOW_SECONDS 600 (defaults)
    const clock = new ManualClock(new Date(Math.ceil(Date.now() / windowMs) * windowMs - 5_000));
    const app = await startTestApp({ clock });
    try {
      const token = `Bearer ${await app.token({ sub: uniqueName('boundary'), amr: STEPPED_UP })}`;
      const setup = () => app.http.post('/mfa/setup').set('Authorization', token).send({ mfaType: 'GOOGLE_AUTH' });
      for (let i = 0; i < 10; i++) expect((await setup()).status).toBe(200);
      clock.advance(10_000); // 5 s into the next fixed window: a fixed-window counter would allow 10 more
      const refused = await setup();
      expect([refused.status, refused.body.code]).toEqual([429, 'RATE_LIMITED']);
      // 10 × (1 − t/600 s) + 2 ≤ 10 from t = 120 s: 115 s from now.
      expect(refused.headers['retry-after']).toBe('115');
      clock.advance(115_000);
      expect((await setup()).status).toBe(200);
      expect((await setup()).status).toBe(429);
    } finally {
      await app.close();
    }
  });

  it('the same code sent twice at once: exactly one verify-setup succeeds', async () => {
    const userId = uniqueName('race');
    const setup = await post('/mfa/setup', userId, { mfaType: 'GOOGLE_AUTH' });
    const code = codeFor(setup.body.data.secret);
    secrets.push(setup.body.data.secret, ...setup.body.data.backupCodes, code);
    const results = await Promise.all([1, 2, 3].map(() => post('/mfa/verify-setup', userId, { mfaType: 'GOOGLE_AUTH', code })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400]);
    await kafka.waitFor(() => userEvents(userId).length >= 3, 15_000);
    await settle();
    expect(userEvents(userId).filter((e) => e.type === 'MfaMethodEnabled')).toHaveLength(1);
  });

  it('a pending setup expires after 10 minutes: 400 SETUP_EXPIRED, nothing enabled', async () => {
    const clock = new ManualClock(new Date());
    const app = await startTestApp({ clock });
    try {
      const userId = uniqueName('expired');
      const token = `Bearer ${await app.token({ sub: userId, amr: STEPPED_UP })}`;
      const setup = await app.http.post('/mfa/setup').set('Authorization', token).send({ mfaType: 'GOOGLE_AUTH' });
      expect(setup.status).toBe(200);
      secrets.push(setup.body.data.secret, ...setup.body.data.backupCodes);
      clock.advance(10 * 60_000);
      const code = hotp(base32Decode(setup.body.data.secret), totpStepAt(clock.now()));
      const res = await app.http.post('/mfa/verify-setup').set('Authorization', token).send({ mfaType: 'GOOGLE_AUTH', code });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, error: 'MFA setup verification failed', code: 'SETUP_EXPIRED' });
      const stored = await app.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never });
      expect(stored).toMatchObject({ version: 1, enabledMethods: [], methods: { GOOGLE_AUTH: { status: 'pending' } } });
      // Starting again issues a fresh setup that can be verified.
      const again = await app.http.post('/mfa/setup').set('Authorization', token).send({ mfaType: 'GOOGLE_AUTH' });
      secrets.push(again.body.data.secret, ...again.body.data.backupCodes);
      const fresh = hotp(base32Decode(again.body.data.secret), totpStepAt(clock.now()));
      expect((await app.http.post('/mfa/verify-setup').set('Authorization', token).send({ mfaType: 'GOOGLE_AUTH', code: fresh })).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('without an organization, events carry orgId null', async () => {
    const userId = uniqueName('solo');
    await setUpTotp(userId);
    const events = await kafka.waitFor(() => userEvents(userId).length >= 2, 15_000);
    const mine = events.filter((e: EventEnvelope) => e.subject === userId);
    expect(mine[0].data).toEqual({ userId, orgId: null, method: 'GOOGLE_AUTH' });
    expect(mine[0].orgid).toBeUndefined();
  });
});
