import { PUBLISHED_TOPICS, Topics } from '@mfa/contracts';
import { KafkaCollector } from '../harness/kafka-collector';
import { startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';
import { STEPPED_UP } from '../harness/tokens';
import { OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';

const APP_ORIGIN = 'https://app.example.test';
const OTHER_ORIGIN = 'https://evil.example.test';

describe('HTTP contract conventions: 405 with Allow, CORS, the clickable magic link, per-topic sequences', () => {
  let t: TestApp;
  let kafka: KafkaCollector;

  beforeAll(async () => {
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, PUBLISHED_TOPICS);
    t = await startTestApp({ env: { CORS_ALLOWED_ORIGINS: `${APP_ORIGIN},http://localhost:5173` } });
  });
  afterAll(async () => {
    await t?.close();
    await kafka?.stop();
  });

  const auth = async (sub: string, orgId?: string, orgRole = 0) =>
    `Bearer ${await t.token({ sub, orgId, orgRole, email: `${sub}@example.com`, amr: STEPPED_UP })}`;
  const doc = (userId: string) => t.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never });

  describe('405 Method Not Allowed', () => {
    it('a known path with a method it does not serve answers 405 with Allow and the error envelope', async () => {
      const res = await t.http.delete('/mfa/status').set('Authorization', await auth(uniqueName('u')));
      expect(res.status).toBe(405);
      expect(res.headers['allow']).toBe('GET, HEAD, OPTIONS');
      expect(res.body).toEqual({ success: false, error: 'Method DELETE is not allowed on this path', code: 'HTTP_METHOD_NOT_ALLOWED' });
      expect(res.headers['x-request-id']).toBeTruthy();
    });

    it('a parameterised path lists every method of its routes; a POST-only path refuses GET without running anything', async () => {
      const exemption = await t.http
        .post('/mfa/organization/exemptions/user-1')
        .set('Authorization', await auth('admin', 'org-1', 255))
        .send({});
      expect(exemption.status).toBe(405);
      expect(exemption.headers['allow']).toBe('DELETE, OPTIONS, PUT');

      const userId = uniqueName('u');
      const setup = await t.http.get('/mfa/setup').set('Authorization', await auth(userId));
      expect(setup.status).toBe(405);
      expect(setup.headers['allow']).toBe('OPTIONS, POST');
      const reset = await t.http
        .delete('/mfa/reset')
        .set('Authorization', await auth(userId))
        .send({});
      expect(reset.status).toBe(405);
      expect(await doc(userId)).toBeNull();
      await t.app.get(OutboxRelay).whenIdle();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(kafka.records.filter((r) => r.key === userId)).toEqual([]);
    });

    it('an unknown path is still 404 ROUTE_NOT_FOUND, and OPTIONS without CORS answers 204 with Allow', async () => {
      const missing = await t.http.delete('/mfa/nothing-here');
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('ROUTE_NOT_FOUND');

      const options = await t.http.options('/mfa/verify-login');
      expect(options.status).toBe(204);
      expect(options.headers['allow']).toBe('OPTIONS, POST');
      expect(options.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('CORS (CORS_ALLOWED_ORIGINS)', () => {
    it('a preflight from a listed origin answers 204 with the path’s methods, the request headers and no credentials', async () => {
      const res = await t.http
        .options('/mfa/setup')
        .set('Origin', APP_ORIGIN)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization, content-type');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
      expect(res.headers['access-control-allow-methods']).toBe('OPTIONS, POST');
      expect(res.headers['access-control-allow-headers']).toBe('Authorization, Content-Type, X-Request-Id, Traceparent');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers['vary']).toContain('Origin');
    });

    it('an actual request from a listed origin gets the origin back and x-request-id / Retry-After exposed', async () => {
      const res = await t.http
        .get('/mfa/status')
        .set('Origin', APP_ORIGIN)
        .set('Authorization', await auth(uniqueName('u')));
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
      expect(res.headers['access-control-expose-headers']).toBe('X-Request-Id, Retry-After');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('another origin (even a prefix or case variant of a listed one) gets no CORS header, so the browser refuses', async () => {
      for (const origin of [OTHER_ORIGIN, `${APP_ORIGIN}.evil.test`, APP_ORIGIN.toUpperCase(), 'null']) {
        const preflight = await t.http.options('/mfa/setup').set('Origin', origin).set('Access-Control-Request-Method', 'POST');
        expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
        expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
        const res = await t.http
          .get('/mfa/status')
          .set('Origin', origin)
          .set('Authorization', await auth(uniqueName('u')));
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
      }
    });
  });

  describe('the magic link a person clicks', () => {
    async function setupLink(userId: string): Promise<string> {
      const res = await t.http
        .post('/mfa/setup')
        .set('Authorization', await auth(userId))
        .send({ mfaType: 'MAGIC_LINK' });
      expect(res.status).toBe(200);
      await kafka.waitFor(() => kafka.events((e) => e.subject === userId && e.type === 'MagicLinkRequested').length > 0, 20_000, 'MagicLinkRequested');
      const event = kafka.events((e) => e.subject === userId && e.type === 'MagicLinkRequested')[0];
      const link = new URL((event.data as { link: string }).link);
      expect(link.pathname).toBe('/mfa/magic-link/activate');
      return link.searchParams.get('token')!;
    }

    it('GET (and a scanner’s HEAD) show a page with one button and a strict CSP, and leave the token usable; the POST then consumes it', async () => {
      const userId = uniqueName('ml');
      const token = await setupLink(userId);
      await t.app.get(OutboxRelay).whenIdle();
      const before = await doc(userId);

      for (let i = 0; i < 3; i++) {
        const page = await t.http.get(`/mfa/magic-link/activate?token=${token}`);
        expect(page.status).toBe(200);
        expect(page.headers['content-type']).toMatch(/^text\/html/);
        expect(page.headers['cache-control']).toBe('no-store');
        expect(page.headers['referrer-policy']).toBe('no-referrer');
        expect(page.headers['content-security-policy']).toMatch(
          /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'; connect-src 'self'; form-action 'self'/,
        );
        expect(page.text.match(/<button/g)).toHaveLength(1);
        expect(page.text).toContain('action="/mfa/magic-link/activate"');
        expect(page.text).not.toMatch(/<script src=/);
      }
      expect((await t.http.head(`/mfa/magic-link/activate?token=${token}`)).status).toBe(200);
      const after = await doc(userId);
      expect(after).toEqual(before);

      const activated = await t.http.post('/mfa/magic-link/activate').send({ token });
      expect(activated.body).toEqual({ success: true, message: 'Magic link MFA activated successfully' });
      const used = await t.http.get(`/mfa/magic-link/activate?token=${token}`);
      expect(used.status).toBe(200);
      expect(used.text).toContain('This link cannot be used');
      expect(used.text).not.toContain('<button');
    });

    it('an unknown, malformed or markup-carrying token gets the "cannot be used" page, never echoed unescaped', async () => {
      for (const query of ['token=' + 'A'.repeat(43), 'token=%3Cscript%3Ealert(1)%3C%2Fscript%3E', '', 'token=a&token=b']) {
        const page = await t.http.get(`/mfa/magic-link/activate?${query}`);
        expect(page.status).toBe(200);
        expect(page.text).toContain('This link cannot be used');
        expect(page.text).not.toContain('<script>alert');
      }
    });
  });

  describe('per-topic sequences (events contract decision)', () => {
    it('for each key, the records of each published topic carry sequence 1, 2, 3… without gaps, though the user also publishes delivery events', async () => {
      const userId = uniqueName('seq');
      const admin = uniqueName('admin');
      const orgId = uniqueName('org');
      const user = await auth(userId, orgId);
      // Interleaves delivery events (links) with user-mfa events (setup started, enabled, primary, verification…).
      expect((await t.http.post('/mfa/setup').set('Authorization', user).send({ mfaType: 'MAGIC_LINK' })).status).toBe(200);
      expect((await t.http.post('/mfa/setup').set('Authorization', user).send({ mfaType: 'MAGIC_LINK' })).status).toBe(200);
      await kafka.waitFor(() => kafka.events((e) => e.subject === userId && e.type === 'MagicLinkRequested').length >= 2, 20_000, 'two links');
      const links = kafka.events((e) => e.subject === userId && e.type === 'MagicLinkRequested');
      const token = new URL((links[1].data as { link: string }).link).searchParams.get('token')!;
      expect((await t.http.post('/mfa/magic-link/activate').send({ token })).status).toBe(200);
      expect((await t.http.post('/mfa/magic-link/send').set('Authorization', user)).status).toBe(200);
      expect((await t.http.post('/mfa/setup').set('Authorization', user).send({ mfaType: 'GOOGLE_AUTH' })).status).toBe(200);
      const adminAuth = await auth(admin, orgId, 255);
      // Two policy events; shortening the grace period raises security, so no admin step-up is needed.
      expect((await t.http.post('/mfa/organization/enforce').set('Authorization', adminAuth).send({ enforced: true, gracePeriodDays: 7 })).status).toBe(200);
      expect((await t.http.post('/mfa/organization/enforce').set('Authorization', adminAuth).send({ enforced: true, gracePeriodDays: 0 })).status).toBe(200);
      await t.app.get(OutboxRelay).whenIdle();

      await kafka.waitFor(
        () =>
          kafka.records.filter((r) => r.key === userId && r.topic === Topics.delivery).length >= 3 && kafka.records.filter((r) => r.key === orgId).length >= 2,
        20_000,
        'all records',
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      const seen = new Map<string, number[]>();
      for (const record of kafka.records.filter((r) => r.key === userId || r.key === orgId)) {
        const key = `${record.topic} ${record.key}`;
        seen.set(key, [...(seen.get(key) ?? []), Number(record.headers['ce_sequence'])]);
      }
      expect([...seen.keys()].sort()).toEqual([`${Topics.delivery} ${userId}`, `${Topics.orgPolicy} ${orgId}`, `${Topics.userMfa} ${userId}`].sort());
      for (const [key, sequences] of seen) {
        expect({ key, sequences }).toEqual({ key, sequences: sequences.map((_, i) => i + 1) });
      }
      expect(seen.get(`${Topics.userMfa} ${userId}`)!.length).toBeGreaterThanOrEqual(4);
    });
  });
});
