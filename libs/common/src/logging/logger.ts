import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

/** Paths that may hold credentials; pino replaces them before anything is written. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.secret',
  '*.token',
  '*.link',
  '*.password',
  '*.backupCodes',
  '*.challenge',
  '*.credential',
];

export function createRootLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'mfa-service' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** Nest's logger interface over the same pino instance, so framework logs are JSON too. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private write(level: 'info' | 'warn' | 'error' | 'debug' | 'trace', message: unknown, context?: unknown): void {
    const ctx = typeof context === 'string' ? { context } : {};
    if (typeof message === 'object' && message !== null) this.logger[level]({ ...ctx, ...message });
    else this.logger[level](ctx, String(message));
  }

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack?, context?); keep the context, drop a free-form stack string.
    this.write('error', message, rest[rest.length - 1]);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }
}

export type WarningSink = (level: 'debug' | 'warn', message: string, fields: Record<string, unknown>) => void;

/**
 * Node prints process warnings as plain text on stderr, which breaks all-JSON logs: they go to
 * `sink` instead (replacing Node's printer). kafkajs 2.2.4 arms its request-queue throttle timer
 * with a negative delay when nothing is throttled (`scheduleCheckPendingRequests`,
 * tulios/kafkajs#1751); Node 24 clamps it to 1 ms, as Node 20 did silently, and warns with
 * TimeoutNegativeWarning on every connection: harmless, so debug.
 */
export function routeProcessWarnings(sink: WarningSink): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    const level = warning.name === 'TimeoutNegativeWarning' ? 'debug' : 'warn';
    sink(level, warning.message, { warning: { name: warning.name, ...(warning.code ? { code: warning.code } : {}) } });
  });
}
