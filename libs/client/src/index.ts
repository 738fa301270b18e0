export { MfaClient } from './client';
export type { MfaClientOptions } from './client';
export { MfaApiError } from './errors';
export type { ErrorDetail } from './errors';
export { OPERATIONS } from './operations';
export type { ErrorCode, ErrorCodeOf, OperationName } from './operations';
export type * from './types';
