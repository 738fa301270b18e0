import { generateKeyPairSync } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { eventually } from '../harness/eventually';
import { ServiceProcess, startServiceProcess } from '../harness/service-process';
import { serviceEnv } from '../harness/test-env';

/** The identity service's JWKS endpoint unreachable: logged, shown on readiness, not fatal once keys were fetched. */
describe('JWKS endpoint on readiness', () => {
  let service: ServiceProcess | undefined;
  let jwksServer: Server | undefined;
  afterAll(async () => {
    service?.kill('SIGTERM');
    await service?.exited;
    jwksServer?.close();
  });

  const readiness = async () => {
    const res = await fetch(`${service!.url}/health/ready`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
  };

  it('down at start → logged, readiness 503 with jwks down; once it answers → readiness 200 with jwks up', async () => {
    // A port nothing listens on yet.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const jwksUrl = `http://127.0.0.1:${port}/.well-known/jwks.json`;

    service = await startServiceProcess(serviceEnv({ AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: jwksUrl, LOG_LEVEL: 'info' }));
    const down = await eventually(readiness, (r) => r.body.checks.jwks !== undefined, 'a readiness answer');
    const outbox = { backlogEvents: expect.any(Number), oldestUnpublishedAgeSeconds: expect.any(Number) };
    expect(down).toEqual({ status: 503, body: { status: 'unavailable', checks: { database: 'up', kafka: 'up', jwks: 'down' }, outbox } });
    await eventually(
      async () => service!.output(),
      (o) => o.includes('JWKS endpoint unreachable'),
      'the warning',
    );
    const warning = JSON.parse(
      service
        .output()
        .split('\n')
        .find((line) => line.includes('JWKS endpoint unreachable'))!,
    );
    expect(warning).toMatchObject({ level: 'warn', jwksUrl, keysEverFetched: false });

    const publicJwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    jwksServer = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [{ ...publicJwk, kid: 'k1', alg: 'ES256', use: 'sig' }] }));
    });
    await new Promise<void>((resolve) => jwksServer!.listen(port, '127.0.0.1', resolve));
    const up = await eventually(readiness, (r) => r.status === 200, 'readiness once the JWKS answers', 20_000);
    expect(up.body).toEqual({ status: 'ok', checks: { database: 'up', kafka: 'up', jwks: 'up' }, outbox });
    await eventually(
      async () => service!.output(),
      (o) => o.includes('JWKS endpoint reachable again'),
      'the recovery log line',
    );
  });
});
