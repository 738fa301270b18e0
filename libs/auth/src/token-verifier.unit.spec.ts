import { SignJWT } from 'jose';
import { createSecretKey } from 'node:crypto';
import { TokenVerifier } from './token-verifier';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256!';
const options = {
  keySource: { kind: 'secret' as const, secret: SECRET },
  issuer: 'https://identity.test',
  audience: 'mfa-service',
  algorithms: ['HS256'],
  clockToleranceSeconds: 5,
};

function sign(claims: Record<string, unknown>, expiresAt: number, secret = SECRET): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(expiresAt)
    .sign(createSecretKey(Buffer.from(secret, 'utf8')));
}

describe('TokenVerifier cache of verified tokens', () => {
  afterEach(() => jest.useRealTimers());

  it('given a verified token, when presented again, then the same frozen principal is returned', async () => {
    const verifier = await TokenVerifier.create(options);
    const token = await sign({ sub: 'user-1', orgId: 'org-1', orgRole: 0, amr: ['pwd'] }, Math.floor(Date.now() / 1000) + 600);
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(second).toBe(first);
    expect(first).toMatchObject({ userId: 'user-1', orgId: 'org-1', orgRole: 0, amr: ['pwd'] });
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.amr)).toBe(true);
  });

  it('given a cached token, when its exp (plus tolerance) has passed, then it is refused', async () => {
    const verifier = await TokenVerifier.create(options);
    const now = Date.now();
    const token = await sign({ sub: 'user-2' }, Math.floor(now / 1000) + 30);
    await verifier.verify(token);
    jest.useFakeTimers({ now: now + 40_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('never caches a refusal: a wrongly signed token stays refused and does not poison a valid one', async () => {
    const verifier = await TokenVerifier.create(options);
    const exp = Math.floor(Date.now() / 1000) + 600;
    const forged = await sign({ sub: 'user-3' }, exp, 'another-secret-another-secret-another!!');
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(verifier.verify(await sign({ sub: 'user-3' }, exp))).resolves.toMatchObject({ userId: 'user-3' });
  });

  it('authTime is the OIDC auth_time only (a refresh keeps it; iat never stands in); sessionId is sid', async () => {
    const verifier = await TokenVerifier.create(options);
    const now = Math.floor(Date.now() / 1000);
    const refreshed = await verifier.verify(await sign({ sub: 'user-3', amr: ['pwd', 'otp'], auth_time: now - 3600, sid: 's-1' }, now + 600));
    expect(refreshed).toMatchObject({ authTime: now - 3600, sessionId: 's-1' });
    const plain = await verifier.verify(await sign({ sub: 'user-4', amr: ['pwd', 'otp'] }, now + 600));
    expect(plain).toMatchObject({ authTime: null, sessionId: null });
    const malformed = await verifier.verify(await sign({ sub: 'user-5', auth_time: 'yesterday', sid: 42 }, now + 600));
    expect(malformed).toMatchObject({ authTime: null, sessionId: null });
  });
});

describe('TokenVerifier token hygiene (RFC 8725: typ, iat, maximum age)', () => {
  const key = createSecretKey(Buffer.from(SECRET, 'utf8'));
  const now = () => Math.floor(Date.now() / 1000);
  const build = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT({ sub: 'user-h', ...claims })
      .setProtectedHeader({ alg: 'HS256', ...header })
      .setIssuer(options.issuer)
      .setAudience(options.audience);

  it('refuses an exp further than AUTH_MAX_TOKEN_AGE_SECONDS after iat (a 100-year token), accepts one within it', async () => {
    const verifier = await TokenVerifier.create({ ...options, maxTokenAgeSeconds: 3600 });
    const century = await build({})
      .setIssuedAt(now())
      .setExpirationTime(now() + 100 * 365 * 86_400)
      .sign(key);
    await expect(verifier.verify(century)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const tooLong = await build({})
      .setIssuedAt(now())
      .setExpirationTime(now() + 3601)
      .sign(key);
    await expect(verifier.verify(tooLong)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const ok = await build({})
      .setIssuedAt(now())
      .setExpirationTime(now() + 3600)
      .sign(key);
    await expect(verifier.verify(ok)).resolves.toMatchObject({ userId: 'user-h' });
    // The default bound is one day.
    const defaults = await TokenVerifier.create(options);
    await expect(
      defaults.verify(
        await build({})
          .setIssuedAt(now())
          .setExpirationTime(now() + 86_401)
          .sign(key),
      ),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('refuses a token without iat or with an iat in the future (beyond the clock tolerance)', async () => {
    const verifier = await TokenVerifier.create(options);
    await expect(
      verifier.verify(
        await build({})
          .setExpirationTime(now() + 600)
          .sign(key),
      ),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const future = await build({})
      .setIssuedAt(now() + 60)
      .setExpirationTime(now() + 600)
      .sign(key);
    await expect(verifier.verify(future)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const skewed = await build({})
      .setIssuedAt(now() + 3)
      .setExpirationTime(now() + 600)
      .sign(key);
    await expect(verifier.verify(skewed)).resolves.toMatchObject({ userId: 'user-h' });
  });

  it.each([
    ['JWT', true],
    ['jwt', true],
    ['at+jwt', true],
    ['application/at+jwt', true],
    ['mfa+jwt', false],
    ['id+jwt', false],
    ['JOSE', false],
  ])('typ %s → accepted: %s', async (typ, accepted) => {
    const verifier = await TokenVerifier.create(options);
    const token = await build({}, { typ })
      .setIssuedAt(now())
      .setExpirationTime(now() + 600)
      .sign(key);
    if (accepted) await expect(verifier.verify(token)).resolves.toMatchObject({ userId: 'user-h' });
    else await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('reads the session id from `sid` (a string up to 256 characters), else null', async () => {
    const verifier = await TokenVerifier.create(options);
    const token = (sid: unknown) =>
      build({ sid })
        .setIssuedAt(now())
        .setExpirationTime(now() + 600)
        .sign(key);
    expect((await verifier.verify(await token('sess-1'))).sessionId).toBe('sess-1');
    expect((await verifier.verify(await token(42))).sessionId).toBeNull();
    expect((await verifier.verify(await token('x'.repeat(257)))).sessionId).toBeNull();
  });
});
