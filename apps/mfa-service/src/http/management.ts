import type { INestApplication } from '@nestjs/common';
import { AppConfig, toErrorResponse } from '@mfa/common';
import { AppError } from '@mfa/common/errors/app-error';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createServer, IncomingMessage, Server } from 'node:http';

const ON_MANAGEMENT_PORT = Symbol('managementPort');

type Tagged = IncomingMessage & { [ON_MANAGEMENT_PORT]?: true };

const isHealth = (path: string): boolean => path === '/health' || path.startsWith('/health/');
const isMetrics = (path: string): boolean => path === '/metrics' || path.startsWith('/metrics/');
const isDocs = (path: string): boolean => path === '/docs' || path.startsWith('/docs/') || path === '/docs-json';

/**
 * With MANAGEMENT_PORT set, /metrics (and, in production, /docs) answer only there, and the
 * management port answers only them and health: attack and lockout counts stay off the public port.
 * Without it, everything is on the public port as before.
 */
export function managementRouting(config: AppConfig): RequestHandler {
  const managementOnly = (path: string): boolean => isMetrics(path) || (config.nodeEnv === 'production' && isDocs(path));
  return (req: Request, res: Response, next: NextFunction) => {
    if (config.managementPort === null) return next();
    const onManagement = (req as Tagged)[ON_MANAGEMENT_PORT] === true;
    const allowed = onManagement ? isHealth(req.path) || isMetrics(req.path) || isDocs(req.path) : !managementOnly(req.path);
    if (allowed) return next();
    const { status, body } = toErrorResponse(new AppError('not_found', 'ROUTE_NOT_FOUND', 'Not found'));
    res.status(status).json(body);
  };
}

/**
 * Serves the same application on MANAGEMENT_PORT (requests tagged so managementRouting can tell
 * the ports apart). Null when MANAGEMENT_PORT is not set. Close it on shutdown.
 */
export async function listenManagement(app: INestApplication, config: AppConfig): Promise<Server | null> {
  if (config.managementPort === null) return null;
  const handler = app.getHttpAdapter().getInstance() as (req: IncomingMessage, res: unknown) => void;
  const server = createServer((req, res) => {
    (req as Tagged)[ON_MANAGEMENT_PORT] = true;
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.managementPort!, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
