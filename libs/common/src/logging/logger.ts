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
