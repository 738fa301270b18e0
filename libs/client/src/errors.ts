import type { ErrorCode } from './operations';

export interface ErrorDetail {
  field: string;
  message: string;
}

/** A failure answered by mfa-service with its error envelope (or a transport failure, `code: 'NETWORK_ERROR'`). */
export class MfaApiError<C extends string = ErrorCode> extends Error {
  constructor(
    /** HTTP status; 0 when no answer arrived. */
    readonly status: number,
    readonly code: C | 'NETWORK_ERROR' | 'UNEXPECTED_RESPONSE',
    message: string,
    readonly requestId: string,
    readonly details: ErrorDetail[] = [],
    /** Seconds until a retry may succeed (429 / 423); null when only an admin reset unlocks. */
    readonly retryAfter?: number | null,
  ) {
    super(message);
    this.name = 'MfaApiError';
  }
}
