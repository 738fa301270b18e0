import { Topics } from '@mfa/contracts';
import { KafkaCollector } from '../harness/kafka-collector';
import { startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';
import { OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';
import { SoftwareAuthenticator } from '../harness/software-authenticator';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';
import { STEPPED_UP } from '../harness/tokens';

const RP_ID = 'mfa.example.test';
const ORIGIN = 'https://mfa.example.test';
const FAILED = { success: false, error: 'Passkey registration failed', code: 'PASSKEY_REGISTRATION_FAILED' };

/** The same attestation answering another challenge (`none` attestation: clientDataJSON is not signed). */
function withChallenge(response: ReturnType<SoftwareAuthenticator['register']>, challenge: string) {
  const clientData = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8'));
  const clientDataJSON = Buffer.from(JSON.stringify({ ...clientData, challenge }), 'utf8').toString('base64url');
  return { ...response, response: { ...response.response, clientDataJSON } };
}

describe('user MFA factor management: PASSKEY (HTTP → MongoDB → outbox → Kafka)', () => {
  let t: TestApp;
  let kafka: KafkaCollector;
  /** Every challenge and public key a test saw: none may appear in an event. */
  const secrets: string[] = [];

  beforeAll(async () => {
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.userMfa]);
    t = await startTestApp({ env: { WEBAUTHN_RP_ID: RP_ID, WEBAUTHN_ORIGINS: ORIGIN, WEBAUTHN_RP_NAME: 'MFA e2e' } });
  });
  afterAll(async () => {
    expect(secrets.length).toBeGreaterThan(0);
    await settle();
    const logged = JSON.stringify(await t.db.collection('event_log').find({}).toArray());
    const published = JSON.stringify(kafka.records);
    for (const s of secrets) {
      expect(logged).not.toContain(s);
      expect(published).not.toContain(s);
    }
    await t.close();
    await kafka.stop();
  });

  const auth = async (sub: string, orgId?: string) => `Bearer ${await t.token({ sub, orgId, orgRole: 0, email: `${sub}@example.com`, amr: STEPPED_UP })}`;
  const post = async (path: string, who: string, body?: unknown, orgId?: string) => {
    const req = t.http.post(path).set('Authorization', await auth(who, orgId));
    return body === undefined ? req : req.send(body as object);
  };
  const doc = (userId: string) => t.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never });
  const settle = async () => {
    await t.app.get(OutboxRelay).whenIdle();
    await new Promise((resolve) => setTimeout(resolve, 400));
  };
  const authenticator = () => new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN, transports: ['internal'] });
  /** Starts a PASSKEY setup and returns its challenge. */
  async function setup(userId: string, orgId?: string): Promise<string> {
    const res = await post('/mfa/setup', userId, { mfaType: 'PASSKEY' }, orgId);
    expect(res.status).toBe(200);
    secrets.push(res.body.data.challenge);
    return res.body.data.challenge as string;
  }
  /** A user with one registered passkey. */
  async function registered(userId: string): Promise<{ device: SoftwareAuthenticator; response: ReturnType<SoftwareAuthenticator['register']> }> {
    const device = authenticator();
    const challenge = await setup(userId);
    const response = device.register(challenge);
    const res = await post('/mfa/passkey/complete-registration', userId, { credential: response, challenge });
    expect(res.status).toBe(200);
    return { device, response };
  }
  /**
   * Runs a failing `act` and expects no factor change and no event. With `usedChallenge`, that
   * challenge alone is consumed (requirement 8: first use, whatever the outcome) and fails on a
   * retry even with a valid attestation; without it, the document is not written at all.
   */
  async function expectUnchanged(userId: string, act: () => Promise<void>, usedChallenge?: string): Promise<void> {
    await settle();
    const before = await doc(userId);
    const eventsBefore = kafka.events((e) => e.subject === userId).length;
    await act();
    await settle();
    const after = await doc(userId);
    expect(after?.lastSequence).toBe(before?.lastSequence);
    expect(after?.passkeys).toEqual(before?.passkeys);
    expect(after?.methods).toEqual(before?.methods);
    expect(kafka.events((e) => e.subject === userId)).toHaveLength(eventsBefore);
    if (usedChallenge === undefined) {
      expect(after?.version).toBe(before?.version);
      return;
    }
    expect((after?.passkeyChallenges ?? []).map((c: { challenge: string }) => c.challenge)).not.toContain(usedChallenge);
    const retry = await post('/mfa/passkey/complete-registration', userId, { credential: authenticator().register(usedChallenge), challenge: usedChallenge });
    expect(retry.status).toBe(400);
  }

  it('setup → creation options → complete-registration → PASSKEY enabled and primary; events carry no challenge or key; -1 alias; auth-options', async () => {
    const userId = uniqueName('pk-user');
    const orgId = uniqueName('org');
    const device = authenticator();

    const res = await post('/mfa/setup', userId, { mfaType: 'PASSKEY', deviceInfo: { name: 'Laptop', type: 'platform' } }, orgId);
    expect(res.status).toBe(200);
    const options = res.body.data;
    secrets.push(options.challenge);
    expect(options).toMatchObject({
      challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      rp: { id: RP_ID, name: 'MFA e2e' },
      user: { id: expect.any(String), name: `${userId}@example.com`, displayName: `${userId}@example.com` },
      pubKeyCredParams: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -257 },
      ],
      excludeCredentials: [],
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      timeout: 300_000,
    });
    expect(await doc(userId)).toMatchObject({ methods: { PASSKEY: { status: 'pending' } } });

    const response = device.register(options.challenge);
    const done = await post('/mfa/passkey/complete-registration', userId, { credential: response, challenge: options.challenge }, orgId);
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ success: true, message: 'Passkey registration completed' });

    const status = await t.http.get('/mfa/status').set('Authorization', await auth(userId, orgId));
    expect(status.body.data).toMatchObject({ isEnabled: true, enabledMethods: ['PASSKEY'], primaryMethod: 'PASSKEY' });
    const stored = await doc(userId);
    expect(stored).toMatchObject({
      passkeyChallenges: [],
      passkeyCredentialIds: [device.credentialId],
      passkeys: [{ credentialId: device.credentialId, counter: 0, transports: ['internal'], name: 'Laptop', lastUsedAt: null }],
    });
    secrets.push(stored!.passkeys[0].publicKey);

    await kafka.waitFor((all) => all.filter((e) => e.subject === userId).length >= 3, 20_000, 'user-mfa events');
    const events = kafka.events((e) => e.subject === userId);
    expect(events.map((e) => e.type)).toEqual(['MfaMethodSetupStarted', 'MfaMethodEnabled', 'MfaPrimaryMethodChanged']);
    expect(events.map((e) => e.data)).toEqual([
      { userId, orgId, method: 'PASSKEY' },
      { userId, orgId, method: 'PASSKEY', isPrimary: true, enabledMethods: ['PASSKEY'] },
      { userId, orgId, method: 'PASSKEY', previous: null },
    ]);
    const text = JSON.stringify(events);
    expect(text).not.toContain(options.challenge);
    expect(text).not.toContain(stored!.passkeys[0].publicKey);

    // Second setup excludes the first passkey; the -1 alias registers a second one.
    const again = await post('/mfa/setup', userId, { mfaType: 'PASSKEY' }, orgId);
    expect(again.status).toBe(200);
    secrets.push(again.body.data.challenge);
    expect(again.body.data.excludeCredentials).toEqual([{ id: device.credentialId, type: 'public-key', transports: ['internal'] }]);
    const second = device.register(again.body.data.challenge);
    const alias = await post('/mfa/passkey/complete-registration-1', userId, { credential: second, challenge: again.body.data.challenge }, orgId);
    expect(alias.status).toBe(200);
    expect(alias.body).toEqual({ success: true, message: 'Passkey registration completed' });
    expect((await doc(userId))?.passkeyCredentialIds).toEqual([response.id, second.id]);

    // auth-options lists both credentials.
    const sequenceBefore = (await doc(userId))?.lastSequence;
    const authOptions = await post('/mfa/passkey/auth-options', userId, undefined, orgId);
    expect(authOptions.status).toBe(200);
    secrets.push(authOptions.body.data.challenge);
    expect(authOptions.body).toEqual({
      success: true,
      data: {
        challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        rpId: RP_ID,
        userVerification: 'preferred',
        timeout: 300_000,
        allowCredentials: [
          { id: response.id, type: 'public-key', transports: ['internal'] },
          { id: second.id, type: 'public-key', transports: ['internal'] },
        ],
      },
    });
    const afterAuthOptions = await doc(userId);
    expect(afterAuthOptions?.passkeyChallenges).toEqual([
      { challenge: authOptions.body.data.challenge, ceremony: 'authentication', expiresAt: expect.any(Date) },
    ]);
    // Stored (version-guarded) without an event.
    expect(afterAuthOptions?.lastSequence).toBe(sequenceBefore);
  });

  it('a reused challenge is refused and changes nothing', async () => {
    const userId = uniqueName('pk-reuse');
    const { device, response } = await registered(userId);
    const challenge = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8')).challenge as string;
    await expectUnchanged(userId, async () => {
      const res = await post('/mfa/passkey/complete-registration', userId, { credential: device.register(challenge), challenge });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(FAILED);
    });
  });

  it('a challenge issued to another user is refused', async () => {
    const userId = uniqueName('pk-victim');
    const other = uniqueName('pk-other');
    await setup(userId);
    const foreign = await setup(other);
    await expectUnchanged(userId, async () => {
      const res = await post('/mfa/passkey/complete-registration', userId, { credential: authenticator().register(foreign), challenge: foreign });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(FAILED);
    });
  });

  it.each([
    ['a wrong origin', { origin: 'https://evil.example.test' }],
    ['a wrong rpId', { rpId: 'evil.example.test' }],
    ['a wrong ceremony type', { type: 'webauthn.get' }],
  ])('an attestation with %s is refused with 400: no passkey, no event, the challenge is used up', async (_name, overrides) => {
    const userId = uniqueName('pk-bad');
    const challenge = await setup(userId);
    await expectUnchanged(
      userId,
      async () => {
        const res = await post('/mfa/passkey/complete-registration', userId, { credential: authenticator().register(challenge, overrides), challenge });
        expect(res.status).toBe(400);
        expect(res.body).toEqual(FAILED);
      },
      challenge,
    );
  });

  it('a credential already registered to another user is refused', async () => {
    const owner = uniqueName('pk-owner');
    const { response } = await registered(owner);
    const userId = uniqueName('pk-thief');
    const challenge = await setup(userId);
    await expectUnchanged(
      userId,
      async () => {
        const res = await post('/mfa/passkey/complete-registration', userId, { credential: withChallenge(response, challenge), challenge });
        expect(res.status).toBe(400);
        expect(res.body).toEqual(FAILED);
      },
      challenge,
    );
    expect((await doc(userId))?.passkeyCredentialIds ?? []).toEqual([]);
    expect(await t.db.collection('passkey_credentials').findOne({ _id: response.id as never })).toMatchObject({ userId: owner });
  });

  it('the same new credential registered by two users at the same instant: exactly one wins', async () => {
    const device = authenticator();
    const [a, b] = [uniqueName('pk-race-a'), uniqueName('pk-race-b')];
    const [challengeA, challengeB] = [await setup(a), await setup(b)];
    const response = device.register(challengeA);
    const results = await Promise.all([
      post('/mfa/passkey/complete-registration', a, { credential: response, challenge: challengeA }),
      post('/mfa/passkey/complete-registration', b, { credential: withChallenge(response, challengeB), challenge: challengeB }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
  });

  it('registered → disabled → enabled → reset: status, stored document and events at each step', async () => {
    const userId = uniqueName('pk-walk');
    await registered(userId);
    const statusOf = async () => (await t.http.get('/mfa/status').set('Authorization', await auth(userId))).body.data;
    expect(await statusOf()).toMatchObject({ isEnabled: true, enabledMethods: ['PASSKEY'], primaryMethod: 'PASSKEY' });
    expect((await post('/mfa/disable', userId, { mfaType: 'PASSKEY' })).status).toBe(200);
    expect(await statusOf()).toMatchObject({ isEnabled: false, enabledMethods: [], primaryMethod: null });
    // Disabled keeps the registered passkey, so enabling brings it back without a new ceremony.
    expect((await doc(userId))?.passkeys).toHaveLength(1);
    expect((await post('/mfa/enable', userId, { mfaType: 'PASSKEY' })).status).toBe(200);
    expect(await statusOf()).toMatchObject({ isEnabled: true, enabledMethods: ['PASSKEY'], primaryMethod: 'PASSKEY' });
    expect((await post('/mfa/reset', userId, {})).status).toBe(200);
    expect(await statusOf()).toMatchObject({ isEnabled: false, enabledMethods: [], primaryMethod: null });
    expect(await doc(userId)).toMatchObject({ methods: { PASSKEY: { status: 'none' } }, passkeys: [], passkeyChallenges: [], passkeyCredentialIds: [] });
    await kafka.waitFor(() => kafka.events((e) => e.subject === userId && e.type === 'MfaReset').length === 1, 20_000, 'MfaReset');
    await settle();
    expect(kafka.events((e) => e.subject === userId).map((e) => e.type)).toEqual([
      'MfaMethodSetupStarted',
      'MfaMethodEnabled',
      'MfaPrimaryMethodChanged',
      'MfaMethodDisabled',
      'MfaPrimaryMethodChanged',
      'MfaMethodEnabled',
      'MfaPrimaryMethodChanged',
      'MfaReset',
    ]);
  });

  it('after a reset the credential id is free again', async () => {
    const owner = uniqueName('pk-reset');
    const { response } = await registered(owner);
    expect((await post('/mfa/reset', owner, {})).status).toBe(200);
    expect(await t.db.collection('passkey_credentials').findOne({ _id: response.id as never })).toBeNull();
  });

  it.each([
    ['an empty credential', () => ({ credential: {}, challenge: 'c' }), 'INVALID_CREDENTIAL'],
    ['a credential without response', () => ({ credential: { id: 'a', rawId: 'a', type: 'public-key' }, challenge: 'c' }), 'INVALID_CREDENTIAL'],
    [
      'an oversized credential (> 16 KiB)',
      () => ({ credential: { id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: 'A'.repeat(17 * 1024) } }, challenge: 'c' }),
      'INVALID_CREDENTIAL',
    ],
    ['a string credential', () => ({ credential: 'abc', challenge: 'c' }), 'VALIDATION_FAILED'],
    ['a missing credential', () => ({ challenge: 'c' }), 'VALIDATION_FAILED'],
    ['a missing challenge', () => ({ credential: { id: 'a', rawId: 'a', type: 'public-key', response: {} } }), 'VALIDATION_FAILED'],
    [
      'a too long challenge',
      () => ({ credential: { id: 'a', rawId: 'a', type: 'public-key', response: {} }, challenge: 'c'.repeat(129) }),
      'VALIDATION_FAILED',
    ],
    ['an unknown field', () => ({ credential: { id: 'a', rawId: 'a', type: 'public-key', response: {} }, challenge: 'c', extra: 1 }), 'VALIDATION_FAILED'],
    ['an empty body', () => ({}), 'VALIDATION_FAILED'],
  ])('complete-registration with %s is 400 and changes nothing', async (_name, body, code) => {
    const userId = uniqueName('pk-malformed');
    await setup(userId);
    await expectUnchanged(userId, async () => {
      const res = await post('/mfa/passkey/complete-registration', userId, body());
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, code });
    });
  });

  it('auth-options without a passkey is 404 and changes nothing', async () => {
    const userId = uniqueName('pk-none');
    await setup(userId);
    await expectUnchanged(userId, async () => {
      const res = await post('/mfa/passkey/auth-options', userId);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ success: false });
    });
    const never = await post('/mfa/passkey/auth-options', uniqueName('pk-never'));
    expect(never.status).toBe(404);
  });

  it.each([
    ['/mfa/passkey/auth-options', {}],
    ['/mfa/passkey/complete-registration', { credential: {}, challenge: 'c' }],
    ['/mfa/passkey/complete-registration-1', { credential: {}, challenge: 'c' }],
  ])('%s without a bearer token is 401', async (path, body) => {
    const res = await t.http.post(path).send(body);
    expect(res.status).toBe(401);
  });
});
