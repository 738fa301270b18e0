import { AppError } from '@mfa/common/errors/app-error';
import {
  CHALLENGE_TTL_MS,
  MAX_CREDENTIAL_JSON_BYTES,
  PasskeyStrategy,
  assertCredentialShape,
  generatePasskeyChallenge,
  type PasskeyConfig,
  type RegisteredPasskey,
  type StoredPasskey,
} from './passkey';
import { counterAdvanced } from './domain/passkey.state';
import { FLAG_BS, FLAG_UP, FLAG_UV, SoftwareAuthenticator } from '../../../../../../test/harness/software-authenticator';

const RP_ID = 'mfa.example.com';
const ORIGIN = 'https://mfa.example.com';
const config: PasskeyConfig = {
  rpId: RP_ID,
  rpName: 'Example MFA',
  origins: [ORIGIN, 'https://login.example.com'],
  userVerification: 'required',
  timeoutMs: 60_000,
};

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a rejection');
}

function stored(registered: RegisteredPasskey, counter = registered.counter): StoredPasskey {
  return { credentialId: registered.credentialId, publicKey: registered.publicKey, counter, transports: registered.transports };
}

async function registeredAuthenticator(
  strategy: PasskeyStrategy,
  options: { backupEligible?: boolean; backedUp?: boolean } = {},
): Promise<{ authenticator: SoftwareAuthenticator; passkey: RegisteredPasskey }> {
  const authenticator = new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN, ...options });
  const challenge = generatePasskeyChallenge();
  const passkey = await strategy.verifyRegistration({ response: authenticator.register(challenge), expectedChallenge: challenge });
  return { authenticator, passkey };
}

describe('PasskeyStrategy', () => {
  const strategy = new PasskeyStrategy(config);

  describe('options', () => {
    it('builds creation options with our challenge, exclusions and policy', async () => {
      const challenge = generatePasskeyChallenge();
      const options = await strategy.registrationOptions({
        userId: 'user-123',
        userName: 'ann@example.com',
        existing: [{ credentialId: 'AAECAw', transports: ['usb', 'bogus'] }, { credentialId: 'BAUGBw' }],
        challenge,
      });
      expect(options.challenge).toBe(challenge);
      expect(options.rp).toEqual({ id: RP_ID, name: 'Example MFA' });
      expect(options.user).toEqual({ id: Buffer.from('user-123').toString('base64url'), name: 'ann@example.com', displayName: 'ann@example.com' });
      expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-7, -257]);
      expect(options.attestation).toBe('none');
      expect(options.timeout).toBe(60_000);
      expect(options.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'required' });
      expect(options.excludeCredentials).toEqual([
        { id: 'AAECAw', type: 'public-key', transports: ['usb'] },
        { id: 'BAUGBw', type: 'public-key' },
      ]);
    });

    it('generates a fresh 32-byte challenge when none is given', async () => {
      const a = await strategy.registrationOptions({ userId: 'u', userName: 'u', existing: [] });
      const b = await strategy.registrationOptions({ userId: 'u', userName: 'u', existing: [] });
      expect(Buffer.from(a.challenge, 'base64url')).toHaveLength(32);
      expect(a.challenge).not.toBe(b.challenge);
      expect(CHALLENGE_TTL_MS).toBe(300_000);
    });

    it('refuses short or non-canonical challenges', async () => {
      for (const challenge of ['', 'abc', Buffer.alloc(15).toString('base64url'), `${generatePasskeyChallenge()}=`]) {
        const error = await rejection(strategy.registrationOptions({ userId: 'u', userName: 'u', existing: [], challenge }));
        expect(error.code).toBe('PASSKEY_CHALLENGE_INVALID');
      }
    });

    it('builds request options for the allowed credentials', async () => {
      const challenge = generatePasskeyChallenge();
      const options = await strategy.authenticationOptions({ allow: [{ credentialId: 'AAECAw', transports: ['internal'] }], challenge });
      expect(options).toMatchObject({
        challenge,
        rpId: RP_ID,
        userVerification: 'required',
        timeout: 60_000,
        allowCredentials: [{ id: 'AAECAw', type: 'public-key', transports: ['internal'] }],
      });
    });
  });

  describe('registration + authentication round trip (real cryptography)', () => {
    it('registers, then authenticates with an increasing counter', async () => {
      const authenticator = new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN, aaguid: Buffer.alloc(16, 0xab) });
      const options = await strategy.registrationOptions({ userId: 'user-1', userName: 'ann', existing: [] });
      const passkey = await strategy.verifyRegistration({
        response: authenticator.register(options.challenge),
        expectedChallenge: options.challenge,
      });
      expect(passkey).toEqual({
        credentialId: authenticator.credentialId,
        publicKey: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
        counter: 0,
        transports: ['internal'],
        deviceType: 'singleDevice',
        backedUp: false,
        aaguid: 'abababab-abab-abab-abab-abababababab',
        userVerified: true,
      });

      const first = await strategy.authenticationOptions({ allow: [passkey] });
      const assertion = await strategy.verifyAuthentication({
        response: authenticator.assert(first.challenge),
        expectedChallenge: first.challenge,
        credential: stored(passkey),
      });
      expect(assertion).toEqual({
        credentialId: passkey.credentialId,
        newCounter: 1,
        userVerified: true,
        deviceType: 'singleDevice',
        backedUp: false,
      });

      const second = generatePasskeyChallenge();
      const next = await strategy.verifyAuthentication({
        response: authenticator.assert(second),
        expectedChallenge: second,
        credential: stored(passkey, assertion.newCounter),
      });
      expect(next.newCounter).toBe(2);
    });

    it('reports backup eligibility and state', async () => {
      const { passkey } = await registeredAuthenticator(strategy, { backupEligible: true, backedUp: true });
      expect(passkey.deviceType).toBe('multiDevice');
      expect(passkey.backedUp).toBe(true);
    });

    it('accepts an authenticator without a counter (0 stays 0)', async () => {
      const { authenticator, passkey } = await registeredAuthenticator(strategy);
      for (let i = 0; i < 2; i++) {
        const challenge = generatePasskeyChallenge();
        const result = await strategy.verifyAuthentication({
          response: authenticator.assert(challenge, { counter: 0 }),
          expectedChallenge: challenge,
          credential: stored(passkey, 0),
        });
        expect(result.newCounter).toBe(0);
      }
    });
  });

  describe('registration rejections', () => {
    const cases: Array<[string, (a: SoftwareAuthenticator, challenge: string) => unknown]> = [
      ['wrong origin', (a, c) => a.register(c, { origin: 'https://evil.example.com' })],
      ['origin differing only by a trailing slash', (a, c) => a.register(c, { origin: `${ORIGIN}/` })],
      ['wrong rpId', (a, c) => a.register(c, { rpId: 'evil.example.com' })],
      ['wrong challenge', (a) => a.register(generatePasskeyChallenge())],
      ['wrong ceremony type', (a, c) => a.register(c, { type: 'webauthn.get' })],
      ['no user presence', (a, c) => a.register(c, { flags: FLAG_UV })],
      ['no user verification while required', (a, c) => a.register(c, { flags: FLAG_UP })],
      ['backed up without backup eligibility', (a, c) => a.register(c, { flags: FLAG_UP | FLAG_UV | FLAG_BS })],
      ['not a credential', () => ({ hello: 'world' })],
      [
        'garbage attestation',
        (a, c) => {
          const response = a.register(c);
          return { ...response, response: { ...response.response, attestationObject: 'AAAA' } };
        },
      ],
    ];

    it.each(cases)('rejects %s without leaking library text', async (_name, build) => {
      const authenticator = new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN });
      const challenge = generatePasskeyChallenge();
      const error = await rejection(strategy.verifyRegistration({ response: build(authenticator, challenge), expectedChallenge: challenge }));
      expect(error.kind).toBe('validation');
      expect(error.code).toBe('PASSKEY_REGISTRATION_FAILED');
      expect(error.message).toBe('Passkey registration failed');
      expect((error as Error & { cause?: unknown }).cause).toBeDefined();
      expect(Object.keys(error)).not.toContain('cause');
      expect(JSON.stringify(error)).not.toMatch(/expected|Unexpected/);
    });

    it('accepts a second configured origin', async () => {
      const authenticator = new SoftwareAuthenticator({ rpId: RP_ID, origin: 'https://login.example.com' });
      const challenge = generatePasskeyChallenge();
      await expect(strategy.verifyRegistration({ response: authenticator.register(challenge), expectedChallenge: challenge })).resolves.toMatchObject({
        credentialId: authenticator.credentialId,
      });
    });

    it('accepts a missing UV flag when policy is only "preferred"', async () => {
      const lenient = new PasskeyStrategy({ ...config, userVerification: 'preferred' });
      const authenticator = new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN });
      const challenge = generatePasskeyChallenge();
      const passkey = await lenient.verifyRegistration({ response: authenticator.register(challenge, { flags: FLAG_UP }), expectedChallenge: challenge });
      expect(passkey.userVerified).toBe(false);
      const next = generatePasskeyChallenge();
      const assertion = await lenient.verifyAuthentication({
        response: authenticator.assert(next, { flags: FLAG_UP }),
        expectedChallenge: next,
        credential: stored(passkey),
      });
      expect(assertion.userVerified).toBe(false);
      // User presence is still mandatory.
      const third = generatePasskeyChallenge();
      const error = await rejection(
        lenient.verifyAuthentication({ response: authenticator.assert(third, { flags: FLAG_UV }), expectedChallenge: third, credential: stored(passkey, 1) }),
      );
      expect(error.code).toBe('PASSKEY_AUTHENTICATION_FAILED');
    });
  });

  describe('authentication rejections', () => {
    const cases: Array<[string, (a: SoftwareAuthenticator, challenge: string) => unknown]> = [
      ['wrong origin', (a, c) => a.assert(c, { origin: 'https://evil.example.com' })],
      ['wrong rpId', (a, c) => a.assert(c, { rpId: 'example.com' })],
      ['wrong challenge', (a) => a.assert(generatePasskeyChallenge())],
      ['wrong ceremony type', (a, c) => a.assert(c, { type: 'webauthn.create' })],
      ['no user presence', (a, c) => a.assert(c, { flags: FLAG_UV })],
      ['no user verification while required', (a, c) => a.assert(c, { flags: FLAG_UP })],
      ['a corrupted signature', (a, c) => a.assert(c, { corruptSignature: true })],
      ['an oversized credential', (a, c) => ({ ...a.assert(c), padding: 'x'.repeat(MAX_CREDENTIAL_JSON_BYTES) })],
    ];

    it.each(cases)('rejects %s', async (_name, build) => {
      const { authenticator, passkey } = await registeredAuthenticator(strategy);
      const challenge = generatePasskeyChallenge();
      const error = await rejection(
        strategy.verifyAuthentication({ response: build(authenticator, challenge), expectedChallenge: challenge, credential: stored(passkey) }),
      );
      expect(error.code).toBe('PASSKEY_AUTHENTICATION_FAILED');
      expect(error.message).toBe('Passkey verification failed');
      expect(Object.keys(error)).not.toContain('cause');
    });

    it.each([
      ['an assertion whose credential id is not the stored one, even if the key verifies', 'credentialId' as const],
      ['a signature made by a different key under the same credential id', 'publicKey' as const],
    ])('rejects %s', async (_case, swapped) => {
      const { authenticator, passkey } = await registeredAuthenticator(strategy);
      const { passkey: other } = await registeredAuthenticator(strategy);
      const challenge = generatePasskeyChallenge();
      const error = await rejection(
        strategy.verifyAuthentication({
          response: authenticator.assert(challenge),
          expectedChallenge: challenge,
          credential: { ...stored(passkey), [swapped]: other[swapped] },
        }),
      );
      expect(error.code).toBe('PASSKEY_AUTHENTICATION_FAILED');
    });

    it.each([
      ['equal', 5, 5],
      ['lower', 5, 3],
      ['reset to zero', 5, 0],
    ])('flags a counter that is %s as a possible clone', async (_name, storedCounter, received) => {
      const { authenticator, passkey } = await registeredAuthenticator(strategy);
      const challenge = generatePasskeyChallenge();
      const error = await rejection(
        strategy.verifyAuthentication({
          response: authenticator.assert(challenge, { counter: received }),
          expectedChallenge: challenge,
          credential: stored(passkey, storedCounter),
        }),
      );
      expect(error.code).toBe('PASSKEY_COUNTER_REGRESSION');
      expect(error.kind).toBe('validation');
    });

    it('does not call a badly signed assertion a counter regression', async () => {
      const { authenticator, passkey } = await registeredAuthenticator(strategy);
      const challenge = generatePasskeyChallenge();
      const error = await rejection(
        strategy.verifyAuthentication({
          response: authenticator.assert(challenge, { counter: 1, corruptSignature: true }),
          expectedChallenge: challenge,
          credential: stored(passkey, 9),
        }),
      );
      expect(error.code).toBe('PASSKEY_AUTHENTICATION_FAILED');
    });
  });

  it('refuses configuration with non-exact origins', () => {
    expect(() => new PasskeyStrategy({ ...config, origins: ['https://mfa.example.com/'] })).toThrow(AppError);
    expect(() => new PasskeyStrategy({ ...config, origins: ['mfa.example.com'] })).toThrow(AppError);
    expect(() => new PasskeyStrategy({ ...config, origins: [] })).toThrow(AppError);
  });
});

describe('counterAdvanced', () => {
  it.each([
    [0, 0, true],
    [0, 1, true],
    [1, 2, true],
    [1, 1, false],
    [2, 1, false],
    [3, 0, false],
  ])('stored %i, received %i → %s', (storedCounter, received, expected) => {
    expect(counterAdvanced(storedCounter, received)).toBe(expected);
  });
});

describe('assertCredentialShape', () => {
  const valid = { id: 'abc', rawId: 'abc', type: 'public-key', response: {} };

  it('accepts a minimal credential-shaped object', () => {
    expect(() => assertCredentialShape(valid)).not.toThrow();
  });

  it.each([
    ['null', null],
    ['a string', 'credential'],
    ['an array', [valid]],
    ['missing id', { ...valid, id: undefined }],
    ['empty rawId', { ...valid, rawId: '' }],
    ['missing type', { id: 'a', rawId: 'a', response: {} }],
    ['missing response', { ...valid, response: undefined }],
    ['response not an object', { ...valid, response: 'x' }],
    ['oversized', { ...valid, response: { clientDataJSON: 'x'.repeat(16 * 1024) } }],
  ])('rejects %s', (_name, json) => {
    let caught: unknown;
    try {
      assertCredentialShape(json);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('INVALID_CREDENTIAL');
    expect((caught as AppError).kind).toBe('validation');
  });
});
