import 'reflect-metadata';
import { ConfigError, loadConfig } from '@mfa/common';
import { KafkaUnavailableError } from '@mfa/messaging';
import type { Server } from 'node:http';
import { createApp } from './bootstrap';
import { listenManagement } from './http/management';

/** What failed at start-up, in one line an operator can act on. */
function describeStartupFailure(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof KafkaUnavailableError) return `Cannot start: ${error.message}`;
  if (error instanceof Error && /Mongo/.test(error.name)) {
    return `Cannot start: database unreachable (${error.name}: ${error.message.split('\n')[0]})`;
  }
  return `Cannot start: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

/** Stop accepting, let in-flight requests finish (bounded), close idle keep-alive sockets. */
function drainHttp(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, graceMs);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${describeStartupFailure(error)}\n`);
    process.exit(78); // EX_CONFIG
  }

  const started = Date.now();
  let created;
  try {
    created = await createApp(config);
  } catch (error) {
    process.stderr.write(`${describeStartupFailure(error)}\n`);
    process.exit(1);
  }
  const { app, logger } = created;
  await app.listen(config.port, config.host);
  const server = app.getHttpServer() as Server;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port, host: config.host, startupMs: Date.now() - started }, `mfa-service listening on http://${config.host}:${port}`);
  let management: Server | null;
  try {
    management = await listenManagement(app, config);
  } catch (error) {
    process.stderr.write(`Cannot start: MANAGEMENT_PORT ${config.managementPort}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  if (management) logger.info({ managementPort: config.managementPort }, `metrics on http://${config.host}:${config.managementPort}/metrics only`);

  // SIGTERM: drain HTTP first, then the app hooks (relay finishes its batch, Kafka, database).
  // Nest's own shutdown hooks close the HTTP server last, which would fail in-flight requests.
  let shuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    await Promise.all([drainHttp(server, config.shutdownGraceMs), management && drainHttp(management, config.shutdownGraceMs)]);
    await app.close();
    logger.info('stopped');
    logger.flush?.();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

void main();
