import type { AppConfig } from '@mfa/common';
import express from 'express';
import request from 'supertest';
import { managementRouting } from './management';

/** managementRouting alone (the e2e test serves the real application on both ports). */
describe('managementRouting', () => {
  const app = (config: Partial<AppConfig>) => {
    const server = express();
    server.use(managementRouting(config as AppConfig));
    server.use((_req, res) => res.status(200).send('served'));
    return request(server);
  };

  it('without MANAGEMENT_PORT everything is served on the public port', async () => {
    const plain = app({ nodeEnv: 'production', managementPort: null });
    for (const path of ['/metrics', '/docs', '/docs-json', '/health/live', '/mfa/status']) expect((await plain.get(path)).status).toBe(200);
  });

  it('with MANAGEMENT_PORT in production, /metrics and the docs leave the public port; health and the API stay', async () => {
    const production = app({ nodeEnv: 'production', managementPort: 9100 });
    for (const path of ['/metrics', '/docs', '/docs/', '/docs-json']) {
      const res = await production.get(path);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ success: false, error: 'Not found', code: 'ROUTE_NOT_FOUND' });
    }
    for (const path of ['/health/live', '/health/ready', '/mfa/status', '/.well-known/jwks.json']) expect((await production.get(path)).status).toBe(200);
  });

  it('outside production the docs stay public; /metrics does not', async () => {
    const development = app({ nodeEnv: 'development', managementPort: 9100 });
    expect((await development.get('/docs-json')).status).toBe(200);
    expect((await development.get('/metrics')).status).toBe(404);
  });
});
