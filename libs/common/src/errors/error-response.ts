import { AppError, ErrorDetail, ErrorKind } from './app-error';
import { isDatabaseUnreachable } from './database-unavailable';

export interface ErrorEnvelope {
  success: false;
  error: string;
  code: string;
  details?: ErrorDetail[];
  retryAfter?: number | null;
}

export interface ErrorResponse {
  status: number;
  body: ErrorEnvelope;
  headers: Record<string, string>;
}

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  locked: 423,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

export { isDatabaseUnreachable };

/**
 * Express body-parser errors carry `type` and `status`; they are the caller's fault and
 * must never surface as 500 (malformed JSON, oversized body, unsupported charset...).
 */
function fromBodyParserError(error: unknown): AppError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if (!('type' in error)) return fromBodyReadError(error);
  const type = (error as { type?: unknown }).type;
  switch (type) {
    case 'entity.parse.failed':
      return new AppError('validation', 'MALFORMED_JSON', 'Request body is not valid JSON');
    case 'entity.too.large':
      return new AppError('payload_too_large', 'PAYLOAD_TOO_LARGE', 'Request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported request body encoding');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new AppError('validation', 'BAD_REQUEST', 'Request body could not be read');
    default:
      return fromBodyReadError(error);
  }
}

/**
 * The body parser marks any other failure to read the body (a corrupt gzip or deflate stream,
 * a truncated chunk) with a 4xx `status` and `expose: true` (http-errors): still the caller's fault.
 */
function fromBodyReadError(error: object): AppError | undefined {
  const { status, expose } = error as { status?: unknown; expose?: unknown };
  if (expose !== true || typeof status !== 'number' || status < 400 || status > 499) return undefined;
  if (status === 413) return new AppError('payload_too_large', 'PAYLOAD_TOO_LARGE', 'Request body is too large');
  if (status === 415) return new AppError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported request body encoding');
  return new AppError('validation', 'BAD_REQUEST', 'Request body could not be read');
}

export interface ErrorMappingContext {
  /** The endpoint's documented 500 message (e.g. "Failed to get MFA status"). */
  internalMessage?: string;
}

/**
 * The one mapping from anything thrown to a status and the documented envelope.
 * Used by the global Nest exception filter and by the raw Express error middleware
 * that guards the body parser, so both answer identically.
 */
export function toErrorResponse(error: unknown, context: ErrorMappingContext = {}): ErrorResponse {
  const appError = asAppError(error, context);
  const body: ErrorEnvelope = { success: false, error: appError.message, code: appError.code };
  if (appError.details?.length) body.details = appError.details;
  const headers: Record<string, string> = {};
  if (appError.retryAfterSeconds !== undefined) {
    body.retryAfter = appError.retryAfterSeconds;
    if (appError.retryAfterSeconds !== null) headers['Retry-After'] = String(appError.retryAfterSeconds);
  }
  if (appError.allow) headers['Allow'] = appError.allow.join(', ');
  return { status: STATUS_BY_KIND[appError.kind], body, headers };
}

function asAppError(error: unknown, context: ErrorMappingContext): AppError {
  // An internal AppError's code and message are for operators (logged), never for the caller.
  if (error instanceof AppError && error.kind !== 'internal') return error;
  if (error instanceof AppError) return new AppError('internal', 'INTERNAL_ERROR', context.internalMessage ?? 'Internal server error');
  const bodyError = fromBodyParserError(error);
  if (bodyError) return bodyError;
  if (isDatabaseUnreachable(error)) {
    return new AppError('unavailable', 'SERVICE_UNAVAILABLE', 'Service temporarily unavailable');
  }
  const httpStatus = statusOf(error);
  if (httpStatus === 404) return new AppError('not_found', 'ROUTE_NOT_FOUND', 'Not found');
  if (httpStatus === 405) return new AppError('not_found', 'ROUTE_NOT_FOUND', 'Not found');
  // Nest maps what the router throws on a bad request (e.g. a path it cannot decode) to a 4xx HttpException.
  if (httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500) return new AppError('validation', 'BAD_REQUEST', 'Request could not be read');
  return new AppError('internal', 'INTERNAL_ERROR', context.internalMessage ?? 'Internal server error');
}

/** Nest's own HttpExceptions (e.g. unmatched routes) expose getStatus(). */
function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'getStatus' in error) {
    const getStatus = (error as { getStatus: unknown }).getStatus;
    if (typeof getStatus === 'function') return getStatus.call(error) as number;
  }
  return undefined;
}
