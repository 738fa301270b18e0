import { MfaApiError, MfaClient, OPERATIONS } from '@mfa/client';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Topics } from '@mfa/contracts';
import type { OpenAPIObject, ResponseObject } from '@nestjs/swagger';
import { KafkaCollector } from '../harness/kafka-collector';
import { ManualClock, startTestApp, TestApp } from '../harness/test-app';
import { seedAdminMfa } from '../harness/admin-mfa';
import { requireInfra, uniqueName } from '../harness/test-env';
import { STEPPED_UP } from '../harness/tokens';
import { SoftwareAuthenticator } from '../harness/software-authenticator';
import { base32Decode, hotp, totpStepAt } from '../../apps/mfa-service/src/user-mfa/factors/totp';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';

const RP_ID = 'mfa.example.test';
const ORIGIN = 'https://mfa.example.test';
const STEP_MS = 30_000;

/** libs/client against the real service: it must stay in step with the OpenAPI document, and drives one whole flow per factor. */
describe('typed client (libs/client) against the running service', () => {
  const clock = new ManualClock(new Date(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5_000));
  let t: TestApp;
  let kafka: KafkaCollector;
  let baseUrl: string;

  beforeAll(async () => {
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.delivery]);
    t = await startTestApp({
      clock,
      env: { WEBAUTHN_RP_ID: RP_ID, WEBAUTHN_ORIGINS: ORIGIN, MFA_SETUP_RATE_LIMIT: '2', MFA_SETUP_RATE_WINDOW_SECONDS: '1' },
    });
    baseUrl = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await t?.close();
    await kafka?.stop();
  });

  /** A client for one user whose session passed a second factor (step-up), with request ids the test can see. */
  function clientFor(sub: string, claims: { orgId?: string; orgRole?: number } = {}, extra: { sleeps?: number[]; requestIds?: string[] } = {}) {
    return new MfaClient({
      baseUrl,
      token: () => t.token({ sub, email: `${sub}@example.com`, amr: STEPPED_UP, orgRole: 0, ...claims }),
      requestId: () => {
        const id = `client-${uniqueName('req')}`;
        extra.requestIds?.push(id);
        return id;
      },
      // The service runs on the test's clock: the client's wait moves it.
      sleep: async (ms) => {
        extra.sleeps?.push(ms);
        clock.advance(ms);
      },
    });
  }
  const codeAt = (secret: string) => hotp(base32Decode(secret), totpStepAt(clock.now()));
  const doc = (userId: string) => t.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never });
  /**
   * The user's document without what the relay changes concurrently (outbox, its marker, the lease);
   * `version` and `lastSequence` stay in it, so an unchanged state also proves no event was written.
   */
  const stateOf = (userId: string) =>
    t.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never }, { projection: { outbox: 0, outboxSince: 0, leaseOwner: 0, leaseUntil: 0 } });
  async function deliveredToken(userId: string, n: number): Promise<string> {
    const links = () => kafka.events((e) => e.subject === userId && e.type === 'MagicLinkRequested');
    await kafka.waitFor(() => links().length >= n, 20_000, `link #${n}`);
    return new URL((links()[n - 1].data as { link: string }).link).searchParams.get('token')!;
  }

  it('has one method per operation of the OpenAPI document, with exactly the error codes the document lists', async () => {
    const document = (await t.http.get('/docs-json')).body as OpenAPIObject;
    const documented = new Map<string, string[]>();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
        const operation = item[method];
        if (!operation) continue;
        const codes = new Set<string>();
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) continue;
          const schema = (response as ResponseObject).content?.['application/json']?.schema as
            | { allOf?: Array<{ properties?: { code?: { enum?: string[] } } }> }
            | undefined;
          for (const part of schema?.allOf ?? []) for (const code of part.properties?.code?.enum ?? []) codes.add(code);
          if (status === '500') codes.add('INTERNAL_ERROR');
        }
        documented.set(`${method.toUpperCase()} ${path}`, [...codes].sort());
      }
    }
    const client = new Map(Object.values(OPERATIONS).map((op) => [`${op.method} ${op.path}`, [...op.errors].sort()]));
    expect(Object.fromEntries(client)).toEqual(Object.fromEntries(documented));
    const prototype = MfaClient.prototype as unknown as Record<string, unknown>;
    for (const name of Object.keys(OPERATIONS)) expect({ name, method: typeof prototype[name] }).toEqual({ name, method: 'function' });
  });

  it('its generated OpenAPI types (checked against types.ts by tsc, libs/client/src/contract.ts) are those of the committed document', () => {
    const root = path.resolve(__dirname, '../..');
    const generated = execFileSync(path.join(root, 'node_modules/.bin/openapi-typescript'), [path.join(root, 'docs/openapi.json')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    // After a reviewed change of the document: npm run client:openapi-types
    expect(generated).toBe(readFileSync(path.join(root, 'libs/client/src/openapi.generated.ts'), 'utf8'));
  });

  it('TOTP and backup codes: setup → verify-setup → status → verify-login with a code, then with a backup code; typed errors carry code, status and the request id', async () => {
    const userId = uniqueName('client-totp');
    const requestIds: string[] = [];
    const client = clientFor(userId, {}, { requestIds });

    const setup = await client.setup({ mfaType: 'GOOGLE_AUTH' });
    expect(setup.backupCodes).toHaveLength(10);
    expect(await client.verifySetup({ mfaType: 'GOOGLE_AUTH', code: codeAt(setup.secret) })).toBe('MFA setup verified and enabled');
    expect(await client.getStatus()).toMatchObject({
      isEnabled: true,
      enabledMethods: ['GOOGLE_AUTH'],
      primaryMethod: 'GOOGLE_AUTH',
      backupCodesRemaining: 10,
    });
    expect((await client.getMethods()).find((m) => m.type === 'GOOGLE_AUTH')).toMatchObject({ isConfigured: true, isEnabled: true });

    clock.advance(STEP_MS);
    const login = await client.verifyLogin({ mfaType: 'GOOGLE_AUTH', code: codeAt(setup.secret) });
    expect(login).toMatchObject({ verified: true, method: 'GOOGLE_AUTH', mfaToken: expect.any(String) });
    const jwks = await client.getJwks();
    expect(jwks.keys.length).toBeGreaterThan(0);

    const backup = await client.verifyLogin({ mfaType: 'BACKUP_CODE', code: setup.backupCodes[0] });
    expect(backup.method).toBe('BACKUP_CODE');

    const before = await doc(userId);
    const failure = await client.verifyLogin({ mfaType: 'BACKUP_CODE', code: setup.backupCodes[0] }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(MfaApiError);
    expect(failure).toMatchObject({ status: 400, code: 'VERIFICATION_FAILED', requestId: requestIds.at(-1) });
    expect((await doc(userId))?.backupCodes).toEqual(before?.backupCodes);

    const fresh = await client.regenerateBackupCodes();
    expect(fresh).toHaveLength(10);
    expect((await client.verifyLogin({ mfaType: 'BACKUP_CODE', code: fresh[0] })).verified).toBe(true);
  });

  it('MAGIC_LINK: setup → the landing page leaves the token usable → activate (public) → send → verify-login with the login link', async () => {
    const userId = uniqueName('client-ml');
    const client = clientFor(userId);
    expect(await client.setup({ mfaType: 'MAGIC_LINK' })).toEqual({ email: `${userId}@example.com`, verificationRequired: true });
    const setupToken = await deliveredToken(userId, 1);

    expect(await client.magicLinkPage(setupToken)).toContain('Activate');
    expect(await client.activateMagicLink(setupToken)).toBe('Magic link MFA activated successfully');
    await expect(client.activateMagicLink(setupToken)).rejects.toMatchObject({ status: 400, code: 'INVALID_TOKEN' });

    expect(await client.sendMagicLink()).toBe('Magic link sent successfully');
    const loginToken = await deliveredToken(userId, 2);
    expect(await client.verifyLogin({ mfaType: 'MAGIC_LINK', token: loginToken })).toMatchObject({ verified: true, method: 'MAGIC_LINK' });
  });

  it('PASSKEY: setup → complete-registration (and the -1 alias refuses a replay) → auth-options → verify-login with an assertion', async () => {
    const userId = uniqueName('client-pk');
    const client = clientFor(userId);
    const device = new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN, transports: ['internal'] });
    const options = await client.setup({ mfaType: 'PASSKEY' });
    expect(options.rp.id).toBe(RP_ID);
    const registration = device.register(options.challenge);
    expect(await client.completePasskeyRegistration({ credential: registration as unknown as Record<string, unknown>, challenge: options.challenge })).toBe(
      'Passkey registration completed',
    );
    await expect(
      client.completePasskeyRegistrationLegacy({ credential: registration as unknown as Record<string, unknown>, challenge: options.challenge }),
    ).rejects.toMatchObject({ status: 400, code: 'PASSKEY_REGISTRATION_FAILED' });

    const auth = await client.passkeyAuthOptions();
    expect(auth.allowCredentials.map((c) => c.id)).toEqual([device.credentialId]);
    const assertion = device.assert(auth.challenge);
    expect(await client.verifyLogin({ mfaType: 'PASSKEY', credential: assertion as unknown as Record<string, unknown> })).toMatchObject({
      verified: true,
      method: 'PASSKEY',
    });
  });

  it('authenticators and trusted devices: list, rename, remember a device, log in with it, revoke, remove; the admin reads and acts on a member; refusals change nothing; PATCH and DELETE retried after a lost answer', async () => {
    const orgId = uniqueName('client-auth-org');
    const adminId = uniqueName('client-auth-admin');
    await seedAdminMfa(t.db, adminId);
    const admin = clientFor(adminId, { orgId, orgRole: 255 });
    const userId = uniqueName('client-auth');
    const client = clientFor(userId, { orgId });

    // The org allows remembering devices for 30 days (raising it needs the admin's MFA and step-up).
    expect(await admin.enforceOrgMfa({ enforced: true, rememberDeviceDays: 30 })).toBe('MFA enforcement enabled for organization');
    expect(await admin.getOrgPolicy()).toMatchObject({ orgId, enforced: true, rememberDeviceDays: 30 });

    const totp = await client.setup({ mfaType: 'GOOGLE_AUTH' });
    await client.verifySetup({ mfaType: 'GOOGLE_AUTH', code: codeAt(totp.secret) });
    const device = new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN, transports: ['internal'] });
    const options = await client.setup({ mfaType: 'PASSKEY' });
    await client.completePasskeyRegistration({
      credential: device.register(options.challenge) as unknown as Record<string, unknown>,
      challenge: options.challenge,
    });

    const listed = await client.listAuthenticators();
    expect(listed.map((a) => a.type).sort()).toEqual(['BACKUP_CODES', 'GOOGLE_AUTH', 'PASSKEY']);
    const passkey = listed.find((a) => a.type === 'PASSKEY')!;
    expect(passkey).toMatchObject({ id: expect.stringMatching(/^pk-/), enabled: true, transports: ['internal'] });
    expect(listed.find((a) => a.type === 'BACKUP_CODES')).toMatchObject({ id: 'backup-codes', name: null, remaining: 10 });
    expect(JSON.stringify(listed)).not.toContain(device.credentialId);

    expect(await client.renameAuthenticator(passkey.id, '  Work laptop ')).toBe('Authenticator renamed');
    expect((await client.listAuthenticators()).find((a) => a.id === passkey.id)?.name).toBe('Work laptop');

    // Refused renames: typed errors, the document unchanged.
    const before = await stateOf(userId);
    await expect(client.renameAuthenticator('backup-codes', 'Codes')).rejects.toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    await expect(client.renameAuthenticator('pk-unknown', 'Phone')).rejects.toMatchObject({ status: 404, code: 'AUTHENTICATOR_NOT_FOUND' });
    await expect(client.renameAuthenticator(passkey.id, 'tab\there')).rejects.toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(await stateOf(userId)).toEqual(before);

    // Remember this device, then log in with it instead of a second factor.
    clock.advance(STEP_MS);
    const remembered = await client.verifyLogin({ mfaType: 'GOOGLE_AUTH', code: codeAt(totp.secret), rememberDevice: true, deviceName: 'Home PC' });
    if (!('deviceToken' in remembered)) throw new Error('no deviceToken although the org allows remembering devices');
    expect(remembered).toMatchObject({
      method: 'GOOGLE_AUTH',
      deviceId: expect.stringMatching(/^td-/),
      deviceToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const devices = await client.listTrustedDevices();
    expect(devices).toEqual([
      { id: remembered.deviceId, name: 'Home PC', createdAt: expect.any(String), lastUsedAt: null, expiresAt: remembered.deviceExpiresAt },
    ]);
    expect(await client.verifyLogin({ mfaType: 'TRUSTED_DEVICE', token: remembered.deviceToken })).toMatchObject({ verified: true, method: 'TRUSTED_DEVICE' });
    expect(JSON.stringify(await client.listTrustedDevices())).not.toContain(remembered.deviceToken);

    expect(await client.revokeTrustedDevice(remembered.deviceId)).toBe('Trusted device revoked');
    await expect(client.revokeTrustedDevice(remembered.deviceId)).rejects.toMatchObject({ status: 404, code: 'TRUSTED_DEVICE_NOT_FOUND' });
    await expect(client.verifyLogin({ mfaType: 'TRUSTED_DEVICE', token: remembered.deviceToken })).rejects.toMatchObject({
      status: 400,
      code: 'METHOD_NOT_ENABLED',
    });
    expect(await client.listTrustedDevices()).toEqual([]);

    // The admin: reads the member's list, revokes their devices, and may not remove the last enabled method under enforcement.
    expect((await admin.listMemberAuthenticators(userId)).map((a) => a.id).sort()).toEqual(['backup-codes', passkey.id, 'totp'].sort());
    await expect(clientFor(uniqueName('client-auth-peer'), { orgId }).listMemberAuthenticators(userId)).rejects.toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    clock.advance(STEP_MS);
    const again = await client.verifyLogin({ mfaType: 'GOOGLE_AUTH', code: codeAt(totp.secret), rememberDevice: true });
    expect('deviceToken' in again).toBe(true);
    expect(await admin.revokeMemberTrustedDevices(userId)).toBe('Trusted devices revoked');
    expect(await client.listTrustedDevices()).toEqual([]);
    expect(await admin.removeMemberAuthenticator(userId, passkey.id)).toBe('Authenticator removed');
    const onlyTotp = await stateOf(userId);
    await expect(admin.removeMemberAuthenticator(userId, 'totp')).rejects.toMatchObject({ status: 403, code: 'MFA_ENFORCED_BY_ORG' });
    await expect(client.removeAuthenticator('totp')).rejects.toMatchObject({ status: 403, code: 'MFA_ENFORCED_BY_ORG' });
    expect(await stateOf(userId)).toEqual(onlyTotp);
    const member = (await admin.listOrgMembers({ limit: 200 })).items.find((i) => i.userId === userId);
    expect(member?.methodCounts).toEqual({ passkeys: 0, authenticatorApps: 1, emailAddresses: 0, backupCodesRemaining: 10 });

    // A lost answer: the request reached the service, the client saw a network failure and retried.
    const dropFirst = (method: string) => {
      let dropped = false;
      return async (input: string | URL | Request, init?: RequestInit) => {
        const response = await fetch(input, init);
        if (init?.method === method && !dropped) {
          dropped = true;
          throw new TypeError('fetch failed (answer lost)');
        }
        return response;
      };
    };
    const lossy = (method: string) =>
      new MfaClient({
        baseUrl,
        token: () => t.token({ sub: userId, email: `${userId}@example.com`, amr: STEPPED_UP, orgId, orgRole: 0 }),
        fetch: dropFirst(method),
        sleep: async () => undefined,
      });
    expect(await lossy('PATCH').renameAuthenticator('totp', 'Authy')).toBe('Authenticator renamed');
    expect((await client.listAuthenticators()).find((a) => a.id === 'totp')?.name).toBe('Authy');
    // A DELETE whose first attempt went through: the retry answers 404, the authenticator is gone either way.
    const second = new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN, transports: ['usb'] });
    const more = await client.setup({ mfaType: 'PASSKEY' });
    await client.completePasskeyRegistration({ credential: second.register(more.challenge) as unknown as Record<string, unknown>, challenge: more.challenge });
    const secondId = (await client.listAuthenticators()).find((a) => a.type === 'PASSKEY')!.id;
    await expect(lossy('DELETE').removeAuthenticator(secondId)).rejects.toMatchObject({ status: 404, code: 'AUTHENTICATOR_NOT_FOUND' });
    expect((await client.listAuthenticators()).map((a) => a.id).sort()).toEqual(['backup-codes', 'totp']);
    // POST is never retried after a lost answer.
    await expect(lossy('POST').sendMagicLink()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
  });

  it('organization policy through the client; 429 is retried after its Retry-After, a refused request is not retried', async () => {
    const orgId = uniqueName('client-org');
    const adminId = uniqueName('client-admin');
    const admin = clientFor(adminId, { orgId, orgRole: 255 });
    const member = uniqueName('client-member');
    await clientFor(member, { orgId }).getStatus();
    // Granting an exemption lowers security: the admin needs MFA of their own (and a recent second factor).
    const adminTotp = await admin.setup({ mfaType: 'GOOGLE_AUTH' });
    await admin.verifySetup({ mfaType: 'GOOGLE_AUTH', code: codeAt(adminTotp.secret) });

    expect(await admin.enforceOrgMfa({ enforced: true, gracePeriodDays: 7 })).toBe('MFA enforcement enabled for organization');
    expect(await admin.getOrgPolicy()).toMatchObject({ orgId, enforced: true, gracePeriodDays: 7 });
    expect((await admin.listOrgMembers({ status: 'pending', limit: 10 })).items.map((i) => i.userId)).toContain(member);
    expect(await admin.grantExemption(member, { reason: 'contractor' })).toBe('MFA exemption granted');
    expect(await admin.revokeExemption(member)).toBe('MFA exemption revoked');
    await expect(admin.revokeExemption(member)).rejects.toMatchObject({ status: 404, code: 'EXEMPTION_NOT_FOUND' });
    await expect(clientFor(member, { orgId }).getOrgPolicy()).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });

    // MFA_SETUP_RATE_LIMIT=2 per 1 s: the third setup is answered 429 + Retry-After, and the client waits and succeeds.
    const sleeps: number[] = [];
    const limited = clientFor(uniqueName('client-rl'), {}, { sleeps });
    await limited.setup({ mfaType: 'GOOGLE_AUTH' });
    await limited.setup({ mfaType: 'GOOGLE_AUTH' });
    const third = await limited.setup({ mfaType: 'GOOGLE_AUTH' });
    expect(third.secret).toEqual(expect.any(String));
    expect(sleeps.length).toBeGreaterThanOrEqual(1);
    expect(sleeps.every((ms) => ms >= 1000 && ms <= 2000)).toBe(true);

    // Refused with a 4xx that is not 429/423: thrown at once.
    const noRetry: number[] = [];
    await expect(clientFor(uniqueName('client-x'), {}, { sleeps: noRetry }).enable('PASSKEY')).rejects.toMatchObject({
      status: 400,
      code: 'METHOD_NOT_CONFIGURED',
    });
    expect(noRetry).toEqual([]);
    expect(await new MfaClient({ baseUrl }).ready()).toMatchObject({ status: 'ok' });
    expect(await new MfaClient({ baseUrl }).live()).toEqual({ status: 'ok' });
  });
});
