import { signToken, unsignedToken } from '../harness/tokens';
import { startTestApp, TestApp } from '../harness/test-app';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';

const UNAUTHORIZED = { success: false, error: 'Unauthorized', code: 'UNAUTHORIZED' };

describe('platform: the service on the real database and broker', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('GET /mfa/status', () => {
    it('answers the documented envelope for a user with no MFA yet', async () => {
      const res = await t.http.get('/mfa/status').set('Authorization', `Bearer ${await t.token({ sub: 'user-new' })}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        success: true,
        data: {
          isEnabled: false,
          isRequired: false,
          isEnforced: false,
          enabledMethods: [],
          primaryMethod: null,
          setupRequired: false,
          enforcementDeadline: null,
          exempt: false,
          requiredBy: null,
          enforcedBy: [],
          backupCodesRemaining: 0,
        },
      });
    });

    it('reads the state stored in MongoDB', async () => {
      await t.db.collection(USER_MFA_COLLECTION).insertOne({
        _id: 'user-stored' as never,
        orgId: null,
        enabledMethods: ['PASSKEY', 'GOOGLE_AUTH'],
        primaryMethod: 'GOOGLE_AUTH',
        backupCodes: [
          { hash: 'h1', usedAt: null },
          { hash: 'h2', usedAt: new Date() },
        ],
        version: 3,
      });
      const res = await t.http.get('/mfa/status').set('Authorization', `Bearer ${await t.token({ sub: 'user-stored' })}`);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({
        isEnabled: true,
        isRequired: true,
        isEnforced: false,
        enabledMethods: ['PASSKEY', 'GOOGLE_AUTH'],
        primaryMethod: 'GOOGLE_AUTH',
        requiredBy: 'user',
        backupCodesRemaining: 1,
      });
    });
  });

  describe('bearer tokens', () => {
    const claims = { sub: 'user-1', orgId: 'org-1', orgRole: 0 };
    const now = () => Math.floor(Date.now() / 1000);
    const cases: Array<[string, () => Promise<string | undefined>]> = [
      ['no Authorization header', async () => undefined],
      ['a non-Bearer scheme', async () => `Basic ${Buffer.from('a:b').toString('base64')}`],
      ['an empty bearer', async () => 'Bearer '],
      ['garbage', async () => 'Bearer not-a-jwt'],
      ['an expired token', async () => `Bearer ${await signToken(claims, { expiresIn: now() - 60, issuedAt: now() - 120 })}`],
      ['a token not yet valid', async () => `Bearer ${await signToken(claims, { notBefore: now() + 600 })}`],
      ['a wrong issuer', async () => `Bearer ${await signToken(claims, { issuer: 'https://evil.test' })}`],
      ['a wrong audience', async () => `Bearer ${await signToken(claims, { audience: 'another-service' })}`],
      ['a wrong signature', async () => `Bearer ${await signToken(claims, { secret: 'another-secret-0123456789abcdefghijklmnop' })}`],
      ['alg none', async () => `Bearer ${unsignedToken(claims)}`],
      ['an algorithm outside the allow-list', async () => `Bearer ${await signToken(claims, { algorithm: 'HS512' })}`],
      ['a token without sub', async () => `Bearer ${await signToken({ sub: '' })}`],
      [
        'a tampered payload',
        async () => {
          const [h, , s] = (await signToken(claims)).split('.');
          const forged = Buffer.from(JSON.stringify({ ...claims, orgRole: 255 })).toString('base64url');
          return `Bearer ${h}.${forged}.${s}`;
        },
      ],
    ];

    it.each(cases)('refuses %s with the 401 envelope', async (_name, header) => {
      const value = await header();
      const req = t.http.get('/mfa/status');
      if (value !== undefined) req.set('Authorization', value);
      const res = await req;
      expect(res.status).toBe(401);
      expect(res.body).toEqual(UNAUTHORIZED);
      expect(res.headers['x-request-id']).toBeTruthy();
    });
  });

  describe('malformed requests never produce a 500', () => {
    let auth: string;
    beforeAll(async () => {
      auth = `Bearer ${await t.token({ sub: 'user-1', orgId: 'org-1', orgRole: 255 })}`;
    });

    it('malformed JSON → 400 MALFORMED_JSON', async () => {
      const res = await t.http.post('/mfa/organization/enforce').set('Authorization', auth).set('Content-Type', 'application/json').send('{"enforced": tru');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, error: 'Request body is not valid JSON', code: 'MALFORMED_JSON' });
    });

    it('a JSON scalar instead of an object → 400', async () => {
      const res = await t.http.post('/mfa/organization/enforce').set('Authorization', auth).set('Content-Type', 'application/json').send('"enforced"');
      expect(res.status).toBe(400);
      expect(res.body.success).toBe(false);
    });

    it('a body that is not JSON → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const res = await t.http.post('/mfa/organization/enforce').set('Authorization', auth).set('Content-Type', 'text/plain').send('enforced=true');
      expect(res.status).toBe(415);
      expect(res.body).toMatchObject({ success: false, code: 'UNSUPPORTED_MEDIA_TYPE' });
    });

    it('a body over the limit → 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await t.http
        .post('/mfa/organization/enforce')
        .set('Authorization', auth)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ enforced: true, padding: 'x'.repeat(200 * 1024) }));
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' });
    });

    it('unknown fields → 400 VALIDATION_FAILED naming the field', async () => {
      const res = await t.http.post('/mfa/organization/enforce').set('Authorization', auth).send({ enforced: true, admin: true });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'admin' })]));
    });

    it('wrong types → 400 VALIDATION_FAILED, no coercion', async () => {
      const res = await t.http.post('/mfa/organization/enforce').set('Authorization', auth).send({ enforced: 'true' });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
      expect(res.body.details).toEqual([expect.objectContaining({ field: 'enforced' })]);
    });

    it('an unknown route → 404 envelope', async () => {
      const res = await t.http.get('/nope').set('Authorization', auth);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ success: false, code: 'ROUTE_NOT_FOUND' });
    });
  });

  describe('request ids', () => {
    it('echoes a safe caller id and generates one otherwise', async () => {
      const echoed = await t.http.get('/health/live').set('x-request-id', 'abc-123');
      expect(echoed.headers['x-request-id']).toBe('abc-123');
      const generated = await t.http.get('/health/live').set('x-request-id', 'bad id\twith spaces');
      expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('operations endpoints', () => {
    it('live and ready answer 200 with both dependencies up', async () => {
      expect((await t.http.get('/health/live')).status).toBe(200);
      const ready = await t.http.get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({
        status: 'ok',
        checks: { database: 'up', kafka: 'up' },
        outbox: { backlogEvents: expect.any(Number), oldestUnpublishedAgeSeconds: expect.any(Number) },
      });
    });

    it('exposes Prometheus metrics including HTTP latency by route template', async () => {
      await t.http.get('/mfa/status').set('Authorization', `Bearer ${await t.token({ sub: 'user-m' })}`);
      const res = await t.http.get('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain('text/plain');
      expect(res.text).toContain('mfa_http_request_duration_seconds_bucket');
      expect(res.text).toMatch(/route="\/mfa\/status"/);
    });

    it('serves the OpenAPI UI and document generated from the code', async () => {
      const ui = await t.http.get('/docs/');
      expect(ui.status).toBe(200);
      expect(ui.text).toContain('swagger');
      const doc = await t.http.get('/docs-json');
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/mfa/status', '/health/ready']));
    });
  });
});
