/**
 * The few kinds of failure this service knows. Each maps to exactly one HTTP status
 * in one place (error-response.ts); everything else only picks a kind and a stable code.
 */
export type ErrorKind =
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'locked'
  | 'unavailable'
  | 'internal';

export interface ErrorDetail {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  details?: ErrorDetail[];
  /**
   * Seconds until the caller may retry (429 / 423); sent as Retry-After and `retryAfter`. Null:
   * not by waiting (`retryAfter: null`, no Retry-After header), e.g. the lockout's hard stop.
   */
  retryAfterSeconds?: number | null;
  /** 405: the methods the path does serve; sent as `Allow`. */
  allow?: string[];
}

/** An expected failure with a stable, documented code. Its message is safe to show to the caller. */
export class AppError extends Error {
  readonly details?: ErrorDetail[];
  readonly retryAfterSeconds?: number | null;
  readonly allow?: string[];

  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.allow = options.allow;
  }
}

export const Unauthorized = (): AppError => new AppError('unauthorized', 'UNAUTHORIZED', 'Unauthorized');

/** 400 VALIDATION_FAILED with one detail per bad field: the answer to every malformed input. */
export const validationFailed = (details: ErrorDetail[]): AppError => new AppError('validation', 'VALIDATION_FAILED', 'Validation failed', { details });
