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
