import { decodeProtectedHeader } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Topics } from '@mfa/contracts';
import { loadConfig } from '../../apps/mfa-service/src/config/load-config';
import { KafkaCollector } from '../harness/kafka-collector';
import { runServiceToExit, startServiceProcess } from '../harness/service-process';
import { ManualClock, startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, serviceEnv, uniqueName } from '../harness/test-env';
import { STEPPED_UP } from '../harness/tokens';
import { listenManagement } from '../../apps/mfa-service/src/http/management';
import { OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';
import { base32Decode, hotp, totpStepAt } from '../../apps/mfa-service/src/user-mfa/factors/totp';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';

/** Issue 11: /metrics off the public port (43), magic links to vouched addresses only (42), publish-before-sign (41). */
describe('secret hygiene: management port, magic-link recipients, mfaToken signing keys', () => {
  describe('MANAGEMENT_PORT (requirement 43)', () => {
    let t: TestApp;
    let management: Server;

    beforeAll(async () => {
      t = await startTestApp({ env: { MANAGEMENT_PORT: '0' } });
      management = (await listenManagement(t.app, loadConfig(t.env)))!;
    });
    afterAll(async () => {
      await new Promise((resolve) => management.close(resolve));
      await t.close();
    });

    it('/metrics answers only on the management port; health on both; the API only on the public port', async () => {
      const admin = request(management);
      const publicMetrics = await t.http.get('/metrics');
      expect(publicMetrics.status).toBe(404);
      expect(publicMetrics.body).toEqual({ success: false, error: 'Not found', code: 'ROUTE_NOT_FOUND' });
      expect(publicMetrics.text).not.toContain('mfa_');
      const metrics = await admin.get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('mfa_http_request_duration_seconds');
      for (const path of ['/health/live', '/health/ready']) {
        expect((await t.http.get(path)).status).toBe(200);
        expect((await admin.get(path)).status).toBe(200);
      }
      // Outside production the documentation stays on the public port too.
      expect((await t.http.get('/docs-json')).status).toBe(200);
      const status = await admin.get('/mfa/status').set('Authorization', `Bearer ${await t.token({ sub: 'mgmt-user' })}`);
      expect(status.status).toBe(404);
      expect((await t.http.get('/mfa/status').set('Authorization', `Bearer ${await t.token({ sub: 'mgmt-user' })}`)).status).toBe(200);
    });
  });

  describe('the built service (a real process)', () => {
    const freePort = () =>
      new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as AddressInfo;
          probe.close(() => resolve(port));
        });
      });

    it('production names every setting without a safe default and exits 78 (no stack trace)', async () => {
      const signing = JSON.stringify({ keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'k-1' }] });
      const result = await runServiceToExit(
        serviceEnv({ NODE_ENV: 'production', AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: 'https://id.example/jwks', MFA_TOKEN_SIGNING_KEYS: signing }),
      );
      expect(result.code).toBe(78);
      expect(result.output).toContain('WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS, MAGIC_LINK_BASE_URL, MFA_BACKUP_CODE_PEPPER must be set explicitly in production');
      expect(result.output).not.toMatch(/\n\s+at /);
    });

    it('MANAGEMENT_PORT: /metrics there and not on PORT; health on both; SIGTERM closes both', async () => {
      const managementPort = await freePort();
      const service = await startServiceProcess(serviceEnv({ MANAGEMENT_PORT: String(managementPort) }));
      try {
        const management = `http://127.0.0.1:${managementPort}`;
        const publicMetrics = await fetch(`${service.url}/metrics`);
        expect(publicMetrics.status).toBe(404);
        expect(await publicMetrics.json()).toEqual({ success: false, error: 'Not found', code: 'ROUTE_NOT_FOUND' });
        const metrics = await fetch(`${management}/metrics`);
        expect(metrics.status).toBe(200);
        expect(await metrics.text()).toContain('mfa_http_request_duration_seconds');
        for (const base of [service.url, management]) expect((await fetch(`${base}/health/live`)).status).toBe(200);
        expect((await fetch(`${management}/mfa/status`)).status).toBe(404);
      } finally {
        service.kill('SIGTERM');
      }
      expect(await service.exited).toEqual({ code: 0, signal: null });
    });
  });

  describe('magic links go to vouched addresses, limited per recipient (requirement 42)', () => {
    let t: TestApp;
    let kafka: KafkaCollector;

    beforeAll(async () => {
      kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.delivery]);
      t = await startTestApp({ env: { MAGIC_LINK_ALLOW_UNVERIFIED_EMAIL: 'true', MAGIC_LINK_RECIPIENT_RATE_LIMIT: '2' } });
    });
    afterAll(async () => {
      await t.close();
      await kafka.stop();
    });

    const setup = async (sub: string, email: string) =>
      t.http
        .post('/mfa/setup')
        .set('Authorization', `Bearer ${await t.token({ sub, email: `${sub}@example.com`, amr: STEPPED_UP })}`)
        .send({ mfaType: 'MAGIC_LINK', email });

    it('with MAGIC_LINK_ALLOW_UNVERIFIED_EMAIL another address is allowed, but one address gets at most the limit whoever asks', async () => {
      const victim = `${uniqueName('victim')}@example.org`;
      const [a, b, c] = ['ml-a', 'ml-b', 'ml-c'].map((p) => uniqueName(p));
      expect((await setup(a, victim)).status).toBe(200);
      expect((await setup(b, victim.toUpperCase())).status).toBe(200);
      const third = await setup(c, victim);
      expect(third.status).toBe(429);
      expect(third.body).toMatchObject({ success: false, code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
      expect(third.headers['retry-after']).toBeTruthy();
      expect((await t.db.collection(USER_MFA_COLLECTION).findOne({ _id: c as never }))?.version).toBeUndefined();
      await t.app.get(OutboxRelay).whenIdle();
      await kafka.waitFor(() => kafka.events((e) => e.type === 'MagicLinkRequested' && [a, b].includes(e.subject!)).length === 2, 20_000, 'two links');
      expect(kafka.events((e) => e.type === 'MagicLinkRequested' && e.subject === c)).toHaveLength(0);
      // The counter key is a hash: the address itself is not stored in rate_limits.
      expect(JSON.stringify(await t.db.collection('rate_limits').find({}).toArray()).toLowerCase()).not.toContain(victim.toLowerCase());
      // Another address is not affected.
      expect((await setup(c, `${c}@example.com`)).status).toBe(200);
    });
  });

  describe('publish before sign (requirement 41)', () => {
    const jwk = (kid: string) => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid });
    const current = jwk('k-current');
    const next = jwk('k-next');
    const clock = new ManualClock(new Date(Math.floor(Date.now() / 30_000) * 30_000 + 15_000));
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({
        clock,
        env: { MFA_TOKEN_SIGNING_KEYS: JSON.stringify({ keys: [current] }), MFA_TOKEN_PUBLISHED_KEYS: JSON.stringify({ keys: [next] }) },
      });
    });
    afterAll(async () => {
      await t.close();
    });

    it('a published-only next key is in the JWKS (public half) and never signs; the first signing key signs', async () => {
      const jwks = await t.http.get('/.well-known/jwks.json');
      expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toEqual(['k-current', 'k-next']);
      for (const key of jwks.body.keys) expect(key).not.toHaveProperty('d');
      expect(jwks.body.keys[1]).toMatchObject({ kty: 'EC', crv: 'P-256', x: next.x, y: next.y, use: 'sig', alg: 'ES256' });

      const sub = uniqueName('pbs');
      const auth = `Bearer ${await t.token({ sub, email: `${sub}@example.com`, amr: STEPPED_UP })}`;
      const secret = base32Decode((await t.http.post('/mfa/setup').set('Authorization', auth).send({ mfaType: 'GOOGLE_AUTH' })).body.data.secret);
      const step = totpStepAt(clock.now());
      expect(
        (
          await t.http
            .post('/mfa/verify-setup')
            .set('Authorization', auth)
            .send({ mfaType: 'GOOGLE_AUTH', code: hotp(secret, step) })
        ).status,
      ).toBe(200);
      const verified = await t.http
        .post('/mfa/verify-login')
        .set('Authorization', auth)
        .send({ mfaType: 'GOOGLE_AUTH', code: hotp(secret, step + 1) });
      expect(verified.status).toBe(200);
      expect(decodeProtectedHeader(verified.body.data.mfaToken)).toMatchObject({ kid: 'k-current', typ: 'mfa+jwt' });
    });
  });
});
