import { MongoClient } from 'mongodb';
import { runServiceToExit, startServiceProcess } from '../harness/service-process';
import { startTestApp } from '../harness/test-app';
import { requireInfra, serviceEnv } from '../harness/test-env';
import { TcpProxy } from '../harness/tcp-proxy';
import { signToken } from '../harness/tokens';

describe('start-up failures say what is wrong and exit non-zero', () => {
  it.each([
    ['MONGO_URL missing', { MONGO_URL: undefined }, 'MONGO_URL is required'],
    ['MONGO_URL not a mongodb URL', { MONGO_URL: 'localhost:27017' }, 'MONGO_URL must use mongodb:'],
    ['KAFKA_BROKERS malformed', { KAFKA_BROKERS: 'kafka' }, 'KAFKA_BROKERS must be a comma list of host:port'],
    ['no auth key', { AUTH_JWT_SECRET: undefined }, 'exactly one of AUTH_JWKS_URL, AUTH_JWT_PUBLIC_KEY or AUTH_JWT_SECRET'],
    ['a short encryption key', { MFA_ENCRYPTION_KEY: 'c2hvcnQ=' }, 'MFA_ENCRYPTION_KEY must be 32 random bytes'],
    ['PORT not a number', { PORT: 'http' }, 'PORT must be an integer'],
    ['a dev secret in production', { NODE_ENV: 'production' }, 'AUTH_JWT_SECRET is for development and tests only'],
  ])('%s → exit 78 naming the variable', async (_name, overrides, message) => {
    const result = await runServiceToExit(serviceEnv(overrides));
    expect(result.code).toBe(78);
    expect(result.output).toContain(message);
    expect(result.output).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('database unreachable → exit 1 naming the database, within the timeout', async () => {
    const result = await runServiceToExit(serviceEnv({ MONGO_URL: 'mongodb://127.0.0.1:1/', MONGO_TIMEOUT_MS: '1500' }));
    expect(result.code).toBe(1);
    expect(result.output).toContain('Cannot start: database unreachable');
    expect(result.ms).toBeLessThan(15_000);
  });

  it('Kafka unreachable → exit 1 naming Kafka, within the timeout', async () => {
    const result = await runServiceToExit(serviceEnv({ KAFKA_BROKERS: '127.0.0.1:1', KAFKA_CONNECT_TIMEOUT_MS: '1500' }));
    expect(result.code).toBe(1);
    expect(result.output).toContain('Cannot start: Kafka unreachable at 127.0.0.1:1');
    expect(result.ms).toBeLessThan(20_000);
  });

  it('a healthy start serves readiness, logs JSON with request ids but never tokens or secrets; SIGTERM exits 0', async () => {
    const env = serviceEnv({ LOG_LEVEL: 'debug' });
    const service = await startServiceProcess(env);
    const ready = await fetch(`${service.url}/health/ready`);
    expect(ready.status).toBe(200);
    const token = await signToken({ sub: 'log-probe', orgId: 'org-log', orgRole: 255 });
    const status = await fetch(`${service.url}/mfa/status?token=${token}`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'log-probe-1' },
    });
    expect(status.status).toBe(200);
    const bad = await fetch(`${service.url}/mfa/organization/enforce`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ enforced: 'yes', secret: 'JBSWY3DPEHPK3PXP' }),
    });
    expect(bad.status).toBe(400);
    service.kill('SIGTERM');
    expect((await service.exited).code).toBe(0);
    const output = service.output();
    expect(output).toContain('"reqId":"log-probe-1"');
    for (const secret of [token, token.split('.')[2], env.AUTH_JWT_SECRET!, env.MFA_ENCRYPTION_KEY!, 'JBSWY3DPEHPK3PXP']) {
      expect(output).not.toContain(secret);
    }
    for (const line of output.split('\n').filter((l) => l.startsWith('{'))) expect(() => JSON.parse(line)).not.toThrow();
  });
});

describe('database outage at run time', () => {
  it('requests fail fast with 503, readiness goes red, nothing partial is written; recovery is automatic', async () => {
    const target = new URL(requireInfra().mongoUrl);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 27017));
    await proxy.start();
    const t = await startTestApp({ env: { MONGO_URL: `mongodb://127.0.0.1:${proxy.port}/`, MONGO_TIMEOUT_MS: '1500' } });
    const orgId = `org-dbdown-${Date.now()}`;
    const auth = `Bearer ${await signToken({ sub: 'owner', orgId, orgRole: 255 })}`;
    try {
      await proxy.cut();
      const started = Date.now();
      const res = await t.http.post('/mfa/organization/enforce').set('Authorization', auth).send({ enforced: true });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ success: false, error: 'Service temporarily unavailable', code: 'SERVICE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(8000);
      const status = await t.http.get('/mfa/status').set('Authorization', auth);
      expect(status.status).toBe(503);
      expect(JSON.stringify(status.body)).not.toMatch(/Mongo|ECONNREFUSED|127\.0\.0\.1/);
      const ready = await t.http.get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.database).toBe('down');

      await proxy.restore();
      const deadline = Date.now() + 20_000;
      let recovered = await t.http.get('/health/ready');
      while (recovered.status !== 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        recovered = await t.http.get('/health/ready');
      }
      expect(recovered.status).toBe(200);
      const mongo = await MongoClient.connect(requireInfra().mongoUrl);
      try {
        expect(
          await mongo
            .db(t.env.MONGO_DB_NAME)
            .collection('org_policies')
            .countDocuments({ _id: orgId as never }),
        ).toBe(0);
      } finally {
        await mongo.close();
      }
      const after = await t.http.post('/mfa/organization/enforce').set('Authorization', auth).send({ enforced: true });
      expect(after.status).toBe(200);
    } finally {
      await proxy.restore().catch(() => undefined);
      await t.close();
      await proxy.cut();
    }
  });
});
