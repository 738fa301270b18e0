import 'reflect-metadata';
import { ConfigError, createRootLogger, routeProcessWarnings } from '@mfa/common';
import { loadConfig } from './config/load-config';
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
    // A keep-alive connection whose request finishes during the drain turns idle but stays open,
    // and server.close() waits for it: close those as they go idle, not at the deadline.
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const force = setTimeout(() => {
      clearInterval(idle);
      server.closeAllConnections();
      resolve();
    }, graceMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Resolves with true when `work` finished within `ms`, false when the time ran out first. */
function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  return Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    timeout,
  ]).finally(() => clearTimeout(timer));
}

/** Kept back from SHUTDOWN_GRACE_MS for the application hooks (relay batch, consumers, Kafka, database). */
const closeBudgetMs = (graceMs: number): number => Math.min(5_000, Math.floor(graceMs / 2));
/** Kept back at the very end to write the last log line before exiting. */
const EXIT_MARGIN_MS = 100;

/**
 * Until the graceful handler is installed (while connecting and preparing the database) a stop
 * request ends the process at once: nothing is served yet. Without a handler, Node as PID 1 in a
 * container would ignore SIGTERM and the orchestrator would wait for its SIGKILL.
 */
function stopDuringStartup(signal: NodeJS.Signals): void {
  process.stderr.write(`${signal} during start-up: exiting\n`);
  process.exit(0);
}

async function main(): Promise<void> {
  process.once('SIGTERM', stopDuringStartup);
  process.once('SIGINT', stopDuringStartup);
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${describeStartupFailure(error)}\n`);
    process.exit(78); // EX_CONFIG
  }

  const processLog = createRootLogger(config.logLevel).child({ component: 'process' });
  routeProcessWarnings((level, message, fields) => processLog[level](fields, message));

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
  // The whole of it is bounded by SHUTDOWN_GRACE_MS whatever the database or Kafka do: what did not
  // finish stays in the outbox and is published by the next instance.
  let shuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    const deadline = Date.now() + config.shutdownGraceMs - EXIT_MARGIN_MS;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    const connections = await new Promise<number>((resolve) => server.getConnections((_, count) => resolve(count ?? 0)));
    const drainMs = Math.max(0, deadline - Date.now() - closeBudgetMs(config.shutdownGraceMs));
    logger.info({ connections, forAtMostMs: drainMs }, 'shutdown: waiting for in-flight requests');
    await Promise.all([drainHttp(server, drainMs), management && drainHttp(management, drainMs)]);
    logger.info({ forAtMostMs: Math.max(0, deadline - Date.now()) }, 'shutdown: closing the relay, consumers, Kafka and the database');
    const closed = await within(app.close(), deadline - Date.now());
    if (closed) logger.info('stopped');
    else
      logger.warn(
        { graceMs: config.shutdownGraceMs },
        'stopped: shutdown grace over before the relay, Kafka or the database closed; unpublished events stay in the outbox',
      );
    logger.flush?.();
    process.exit(0);
  };
  process.removeListener('SIGTERM', stopDuringStartup);
  process.removeListener('SIGINT', stopDuringStartup);
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

void main();
