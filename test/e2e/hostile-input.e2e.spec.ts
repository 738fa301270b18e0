import { decodeProtectedHeader, SignJWT } from 'jose';
import { createSecretKey } from 'node:crypto';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { Db } from 'mongodb';
import { ManualClock, startTestApp, TestApp } from '../harness/test-app';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_JWT_SECRET } from '../harness/test-env';
import { STEPPED_UP } from '../harness/tokens';
import { OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';
import { base32Decode, hotp, totpStepAt } from '../../apps/mfa-service/src/user-mfa/factors/totp';

/**
 * Issue 11: no input answers 5xx (requirement 37) and a refused request changes nothing; every
 * /mfa answer is `no-store` (38); bearer token hygiene and the mfaToken's own type (41).
 */

type Who = 'public' | 'user' | 'admin';
interface Route {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  who: Who;
  /** The field a deep value is put in (the route's own field, so the depth check is what refuses it). */
  field: string;
}

/** Every route of the service (the OpenAPI document is checked against this list below). */
const ROUTES: Route[] = [
  { method: 'get', path: '/mfa/status', who: 'user', field: 'x' },
  { method: 'get', path: '/mfa/methods', who: 'user', field: 'x' },
  { method: 'post', path: '/mfa/setup', who: 'user', field: 'mfaType' },
  { method: 'post', path: '/mfa/verify-setup', who: 'user', field: 'code' },
  { method: 'post', path: '/mfa/enable', who: 'user', field: 'mfaType' },
  { method: 'post', path: '/mfa/disable', who: 'user', field: 'mfaType' },
  { method: 'post', path: '/mfa/primary', who: 'user', field: 'mfaType' },
  { method: 'post', path: '/mfa/reset', who: 'user', field: 'resetUserId' },
  { method: 'post', path: '/mfa/magic-link/send', who: 'user', field: 'x' },
  { method: 'post', path: '/mfa/magic-link/activate', who: 'public', field: 'token' },
  { method: 'post', path: '/mfa/passkey/auth-options', who: 'user', field: 'x' },
  { method: 'post', path: '/mfa/passkey/complete-registration', who: 'user', field: 'credential' },
  { method: 'post', path: '/mfa/passkey/complete-registration-1', who: 'user', field: 'credential' },
  { method: 'post', path: '/mfa/verify-login', who: 'user', field: 'code' },
  { method: 'post', path: '/mfa/backup-codes/regenerate', who: 'user', field: 'x' },
  { method: 'post', path: '/mfa/organization/enforce', who: 'admin', field: 'allowedMethods' },
  { method: 'get', path: '/mfa/organization', who: 'admin', field: 'x' },
  { method: 'get', path: '/mfa/organization/members', who: 'admin', field: 'x' },
  { method: 'put', path: '/mfa/organization/exemptions/member-1', who: 'admin', field: 'reason' },
  { method: 'delete', path: '/mfa/organization/exemptions/member-1', who: 'admin', field: 'x' },
  { method: 'get', path: '/mfa/magic-link/activate', who: 'public', field: 'token' },
  { method: 'get', path: '/mfa/authenticators', who: 'user', field: 'x' },
  { method: 'patch', path: '/mfa/authenticators/unknown-id', who: 'user', field: 'name' },
  { method: 'delete', path: '/mfa/authenticators/unknown-id', who: 'user', field: 'x' },
  { method: 'get', path: '/mfa/trusted-devices', who: 'user', field: 'x' },
  { method: 'delete', path: '/mfa/trusted-devices/unknown-id', who: 'user', field: 'x' },
  { method: 'get', path: '/mfa/organization/members/member-1/authenticators', who: 'admin', field: 'x' },
  { method: 'delete', path: '/mfa/organization/members/member-1/authenticators/unknown-id', who: 'admin', field: 'x' },
  { method: 'delete', path: '/mfa/organization/members/member-1/trusted-devices', who: 'admin', field: 'x' },
  { method: 'get', path: '/.well-known/jwks.json', who: 'public', field: 'x' },
  { method: 'get', path: '/health/live', who: 'public', field: 'x' },
  { method: 'get', path: '/health/ready', who: 'public', field: 'x' },
  { method: 'get', path: '/metrics', who: 'public', field: 'x' },
];

const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

interface HostileBody {
  name: string;
  body: (field: string) => string | Buffer;
  headers?: Record<string, string>;
  /** The exact status and code when the answer is fixed by the body alone (before any route logic). */
  expect?: { status: number; code: string };
}

const HOSTILE_BODIES: HostileBody[] = [
  // 45,000 levels, ~90 KB: under the size limit, refused before any recursive code runs.
  { name: '45,000 levels of nesting', body: (f) => `{"${f}":${nested(45_000)}}`, expect: { status: 400, code: 'VALIDATION_FAILED' } },
  { name: '33 levels of nesting (one over the limit)', body: (f) => `{"${f}":${nested(32)}}`, expect: { status: 400, code: 'VALIDATION_FAILED' } },
  { name: 'deep objects', body: (f) => `{"${f}":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`, expect: { status: 400, code: 'VALIDATION_FAILED' } },
  {
    name: 'a corrupt gzip body',
    body: () => Buffer.concat([gzipSync('{"a":1}').subarray(0, 10), Buffer.from('not gzip at all')]),
    headers: { 'Content-Encoding': 'gzip' },
    expect: { status: 400, code: 'BAD_REQUEST' },
  },
  {
    name: 'a corrupt deflate body',
    body: () => Buffer.from('garbage'),
    headers: { 'Content-Encoding': 'deflate' },
    expect: { status: 400, code: 'BAD_REQUEST' },
  },
  {
    name: 'a corrupt brotli body',
    body: () => Buffer.from([0xff, 0xff, 0xff, 0xff]),
    headers: { 'Content-Encoding': 'br' },
    expect: { status: 400, code: 'BAD_REQUEST' },
  },
  {
    name: 'a gzip body that inflates past the limit',
    body: () => gzipSync(`{"a":"${'x'.repeat(300 * 1024)}"}`),
    headers: { 'Content-Encoding': 'gzip' },
    expect: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  },
  {
    name: 'a brotli body with 45,000 levels',
    body: (f) => brotliCompressSync(`{"${f}":${nested(45_000)}}`),
    headers: { 'Content-Encoding': 'br' },
    expect: { status: 400, code: 'VALIDATION_FAILED' },
  },
  {
    name: 'an unknown Content-Encoding',
    body: () => '{}',
    headers: { 'Content-Encoding': 'x-compress' },
    expect: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  },
  {
    name: 'an unsupported charset',
    body: () => '{}',
    headers: { 'Content-Type': 'application/json; charset=latin1' },
    expect: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  },
  { name: 'a body over the limit', body: (f) => `{"${f}":"${'x'.repeat(150 * 1024)}"}`, expect: { status: 413, code: 'PAYLOAD_TOO_LARGE' } },
  { name: 'truncated JSON', body: (f) => `{"${f}":`, expect: { status: 400, code: 'MALFORMED_JSON' } },
  { name: 'a bare NUL byte', body: () => '{"a":"\u0000"}', expect: { status: 400, code: 'MALFORMED_JSON' } },
  { name: 'a top-level scalar', body: () => '"GOOGLE_AUTH"', expect: { status: 400, code: 'MALFORMED_JSON' } },
  { name: 'a top-level array', body: (f) => `[{"${f}":"GOOGLE_AUTH"}]` },
  { name: '__proto__ at the top', body: () => '{"__proto__":{"mfaType":"GOOGLE_AUTH","enforced":true}}', expect: { status: 400, code: 'VALIDATION_FAILED' } },
  { name: '__proto__ inside a value', body: (f) => `{"${f}":{"__proto__":{"isAdmin":true}}}`, expect: { status: 400, code: 'VALIDATION_FAILED' } },
  { name: 'constructor.prototype', body: (f) => `{"${f}":"x","constructor":{"prototype":{"isAdmin":true}}}` },
  { name: 'duplicate keys, the last one hostile', body: (f) => `{"${f}":"GOOGLE_AUTH","${f}":{"$gt":""}}` },
  { name: 'a MongoDB operator as a value', body: (f) => `{"${f}":{"$ne":null}}` },
  { name: 'escaped control characters', body: (f) => `{"${f}":"\\u0000\\u001b[31m\\r\\n\\b"}` },
  { name: 'lone surrogates', body: (f) => `{"${f}":"\\ud800\\udfff\\ud800"}` },
  { name: 'unicode look-alikes and direction marks', body: (f) => `{"${f}":"GOOGLE\u2011AUTH\u202e\ufeff"}` },
  { name: 'a 60,000-character string', body: (f) => `{"${f}":"${'\u00e9'.repeat(30_000)}"}` },
  { name: 'a huge number', body: (f) => `{"${f}":1e309}` },
  { name: '10,000 unknown keys', body: (f) => `{"${f}":"x",${Array.from({ length: 10_000 }, (_, i) => `"k${i}":0`).join(',')}}` },
];

/** Path and query abuse for the routes that read them. */
const HOSTILE_PATHS: Array<{ name: string; method: 'get' | 'put' | 'delete'; path: string; body?: object }> = [
  { name: 'an over-long user id', method: 'put', path: `/mfa/organization/exemptions/${'u'.repeat(300)}`, body: { reason: 'x' } },
  { name: 'a NUL in a user id', method: 'delete', path: '/mfa/organization/exemptions/a%00b' },
  { name: 'a path separator in a user id', method: 'put', path: '/mfa/organization/exemptions/..%2Fadmin', body: { reason: 'x' } },
  { name: 'a malformed percent escape', method: 'delete', path: '/mfa/organization/exemptions/%E0%A4%A' },
  { name: 'a repeated query parameter', method: 'get', path: '/mfa/organization/members?status=pending&status=exempt' },
  { name: 'an absurd limit', method: 'get', path: '/mfa/organization/members?limit=1e309' },
  { name: 'a forged cursor', method: 'get', path: `/mfa/organization/members?cursor=${'%FF'.repeat(500)}` },
  { name: 'an operator in the query', method: 'get', path: '/mfa/organization/members?status[$ne]=x' },
];

/**
 * The membership consumer of this app reads the shared identity topic from its beginning, so other
 * suites' members keep arriving while these tests run: the read model is compared for this suite's
 * organization and users only. Everything else is compared whole.
 */
const OWN_MEMBERSHIP: Record<string, object> = {
  org_members: { orgId: 'org-h' },
  user_mfa: { _id: { $in: ['hostile-user', 'hostile-admin'] } },
};
const CONSUMER_BOOKKEEPING = ['membership_inbox', 'membership_versions', 'membership_deleted_users'];

/** Every collection as stored, once the relay has published what earlier tests committed (its leases excluded). */
async function snapshot(t: TestApp): Promise<string> {
  await t.app.get(OutboxRelay).whenIdle();
  const db = t.db.db as Db;
  const collections = (await db.listCollections().toArray())
    .map((c) => c.name)
    .filter((name) => name !== 'outbox_leases' && !CONSUMER_BOOKKEEPING.includes(name))
    .sort();
  const all: Record<string, unknown> = {};
  for (const name of collections)
    all[name] = await db
      .collection(name)
      .find(OWN_MEMBERSHIP[name] ?? {})
      .sort({ _id: 1 })
      .toArray();
  return JSON.stringify(all);
}

function expectEnvelope(res: { status: number; body: unknown; headers: Record<string, string> }, path: string): void {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.body).toEqual(expect.objectContaining({ success: false, error: expect.any(String), code: expect.stringMatching(/^[A-Z_]+$/) }));
  expect(JSON.stringify(res.body)).not.toMatch(/stack|Error:|at \w+ \(|node_modules|Mongo/);
  expect(res.headers['x-request-id']).toBeTruthy();
  if (path.startsWith('/mfa')) expect(res.headers['cache-control']).toBe('no-store');
}

describe('hostile input and secret hygiene (issue 11): every refusal is a 4xx envelope and writes nothing', () => {
  let t: TestApp;
  const bearer: Record<Who, string | null> = { public: null, user: null, admin: null };
  // The middle of a TOTP step, held still: codes of adjacent steps stay valid for the whole run.
  const clock = new ManualClock(new Date(Math.floor(Date.now() / 30_000) * 30_000 + 15_000));

  beforeAll(async () => {
    t = await startTestApp({ clock });
    bearer.user = `Bearer ${await t.token({ sub: 'hostile-user', orgId: 'org-h', orgRole: 0, email: 'hostile-user@example.com', amr: STEPPED_UP })}`;
    bearer.admin = `Bearer ${await t.token({ sub: 'hostile-admin', orgId: 'org-h', orgRole: 255, email: 'hostile-admin@example.com', amr: STEPPED_UP })}`;
    // First contact registers the callers' membership: do it now, so the snapshots below see only what hostile requests write.
    for (const who of ['user', 'admin'] as const) expect((await t.http.get('/mfa/status').set('Authorization', bearer[who]!)).status).toBe(200);
  });
  afterAll(async () => {
    await t.close();
  });

  const send = (route: { method: string; path: string; who?: Who }, body: string | Buffer | undefined, headers: Record<string, string> = {}) => {
    const req = (t.http as unknown as Record<string, (path: string) => import('supertest').Test>)[route.method](route.path);
    const auth = bearer[route.who ?? 'admin'];
    if (auth) req.set('Authorization', auth);
    if (body === undefined) return req;
    req.set('Content-Type', 'application/json');
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    // Bytes go out as they are (superagent would JSON-encode a Buffer sent as application/json).
    if (Buffer.isBuffer(body)) req.serialize((bytes) => bytes as never);
    return req.send(body);
  };

  it('the table covers every route of the OpenAPI document', async () => {
    const doc = (await t.http.get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path.replace('{userId}', 'member-1').replace('{id}', 'unknown-id')}`),
    );
    const covered = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    for (const route of documented) expect(covered).toContain(route);
  });

  describe.each(ROUTES.filter((r) => r.method !== 'get'))('$method $path', (route) => {
    it.each(HOSTILE_BODIES)('$name → 4xx envelope, nothing written', async ({ body, headers, expect: expected }) => {
      const before = await snapshot(t);
      const res = await send(route, body(route.field), headers);
      expectEnvelope(res, route.path);
      if (expected) expect({ status: res.status, code: res.body.code }).toEqual(expected);
      expect(await snapshot(t)).toBe(before);
    });
  });

  it.each(HOSTILE_PATHS)('$name → 4xx envelope, nothing written', async ({ method, path, body }) => {
    const before = await snapshot(t);
    const res = await send({ method, path }, body === undefined ? undefined : JSON.stringify(body));
    expectEnvelope(res, path);
    expect(await snapshot(t)).toBe(before);
  });

  it('hostile headers on every GET route never answer 5xx', async () => {
    for (const route of ROUTES.filter((r) => r.method === 'get')) {
      const res = await send(route, undefined).set('x-request-id', '\u00e9'.repeat(300)).set('Accept-Encoding', 'x-bogus').set('Content-Length', '0');
      expect(res.status).toBeLessThan(500);
    }
  });

  it('deeply nested bodies cost little CPU each: 40 public 90 KB requests, well under 25 ms of CPU per request', async () => {
    const body = `{"token":${nested(45_000)}}`;
    const started = process.cpuUsage();
    const answers = await Promise.all(Array.from({ length: 40 }, () => send({ method: 'post', path: '/mfa/magic-link/activate', who: 'public' }, body)));
    const used = process.cpuUsage(started);
    for (const res of answers) expect(res.status).toBe(400);
    expect((used.user + used.system) / 1000 / 40).toBeLessThan(25);
  });

  describe('Cache-Control: no-store on every /mfa answer (requirement 38)', () => {
    it('success, error and unknown routes under /mfa; the JWKS stays cacheable', async () => {
      const setup = await send({ method: 'post', path: '/mfa/setup', who: 'user' }, JSON.stringify({ mfaType: 'GOOGLE_AUTH' }));
      expect(setup.status).toBe(200);
      expect(setup.body.data.backupCodes).toHaveLength(10);
      expect(setup.headers['cache-control']).toBe('no-store');
      for (const res of [
        await send({ method: 'get', path: '/mfa/status', who: 'user' }, undefined),
        await send({ method: 'get', path: '/mfa/organization', who: 'admin' }, undefined),
        await send({ method: 'post', path: '/mfa/verify-login', who: 'user' }, JSON.stringify({ mfaType: 'NOPE' })),
        await send({ method: 'post', path: '/mfa/magic-link/activate', who: 'public' }, JSON.stringify({ token: 'x' })),
        await send({ method: 'get', path: '/mfa/nothing-here', who: 'user' }, undefined),
      ]) {
        expect(res.headers['cache-control']).toBe('no-store');
      }
      expect((await t.http.get('/.well-known/jwks.json')).headers['cache-control']).toBe('public, max-age=300');
    });
  });

  describe('PASSKEY setup with a user id longer than a WebAuthn user handle (64 bytes)', () => {
    it('→ 400 VALIDATION_FAILED naming sub, before anything is committed or published', async () => {
      const longSub = `p-${'\u00e9'.repeat(40)}`; // 82 bytes in UTF-8, 42 characters
      const auth = `Bearer ${await t.token({ sub: longSub, email: 'long@example.com', amr: STEPPED_UP })}`;
      const before = await snapshot(t);
      const res = await t.http.post('/mfa/setup').set('Authorization', auth).send({ mfaType: 'PASSKEY' });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field: 'sub' })] });
      expect(JSON.stringify(res.body)).not.toContain('PASSKEY_USER_HANDLE');
      expect(await snapshot(t)).toBe(before);
      // 64 bytes exactly is fine.
      const fits = `Bearer ${await t.token({ sub: 'p'.repeat(64), email: 'fits@example.com', amr: STEPPED_UP })}`;
      const ok = await t.http.post('/mfa/setup').set('Authorization', fits).send({ mfaType: 'PASSKEY' });
      expect(ok.status).toBe(200);
    });
  });

  describe('bearer token hygiene (requirement 41)', () => {
    const key = createSecretKey(Buffer.from(TEST_JWT_SECRET, 'utf8'));
    const now = () => Math.floor(Date.now() / 1000);
    const token = (header: Record<string, unknown>, iat: number | undefined, exp: number) => {
      const jwt = new SignJWT({ sub: 'hygiene-user' })
        .setProtectedHeader({ alg: 'HS256', ...header })
        .setIssuer(TEST_ISSUER)
        .setAudience(TEST_AUDIENCE)
        .setExpirationTime(exp);
      if (iat !== undefined) jwt.setIssuedAt(iat);
      return jwt.sign(key);
    };

    it.each([
      ['an exp 100 years ahead', () => token({ typ: 'JWT' }, now(), now() + 100 * 365 * 86_400)],
      ['an exp a day and a minute after iat', () => token({ typ: 'JWT' }, now(), now() + 86_460)],
      ['an iat in the future', () => token({ typ: 'JWT' }, now() + 600, now() + 1200)],
      ['no iat', () => token({ typ: 'JWT' }, undefined, now() + 600)],
      ['typ mfa+jwt (our own token type)', () => token({ typ: 'mfa+jwt' }, now(), now() + 600)],
      ['typ id+jwt', () => token({ typ: 'id+jwt' }, now(), now() + 600)],
    ])('%s → 401', async (_what, make) => {
      const res = await t.http.get('/mfa/status').set('Authorization', `Bearer ${await make()}`);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ success: false, error: 'Unauthorized', code: 'UNAUTHORIZED' });
    });

    it('typ at+jwt and no typ are accepted', async () => {
      for (const header of [{ typ: 'at+jwt' }, {}]) {
        expect((await t.http.get('/mfa/status').set('Authorization', `Bearer ${await token(header, now(), now() + 600)}`)).status).toBe(200);
      }
    });

    it('the mfaToken: typ mfa+jwt, a unique jti, the session id as sid', async () => {
      const sub = 'hygiene-totp';
      const auth = `Bearer ${await t.token({ sub, sid: 'session-42', email: 'h@example.com', amr: STEPPED_UP })}`;
      const setup = await t.http.post('/mfa/setup').set('Authorization', auth).send({ mfaType: 'GOOGLE_AUTH' });
      const secret = base32Decode(setup.body.data.secret);
      const step = totpStepAt(clock.now());
      expect(
        (
          await t.http
            .post('/mfa/verify-setup')
            .set('Authorization', auth)
            .send({ mfaType: 'GOOGLE_AUTH', code: hotp(secret, step - 1) })
        ).status,
      ).toBe(200);
      const tokens: string[] = [];
      for (const code of [hotp(secret, step), hotp(secret, step + 1)]) {
        const res = await t.http.post('/mfa/verify-login').set('Authorization', auth).send({ mfaType: 'GOOGLE_AUTH', code });
        expect(res.status).toBe(200);
        tokens.push(res.body.data.mfaToken);
      }
      const claims = tokens.map((jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>);
      expect(decodeProtectedHeader(tokens[0]).typ).toBe('mfa+jwt');
      expect(claims[0]).toMatchObject({ sub, sid: 'session-42', jti: expect.any(String) });
      expect(claims[0].jti).not.toBe(claims[1].jti);
    });
  });
});
