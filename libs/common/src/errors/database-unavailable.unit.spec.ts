import {
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { AppError } from './app-error';
import { isDatabaseUnreachable, toErrorResponse } from './error-response';

// The pool errors are internal to the driver (not in its public typings) but are what it throws.
type PoolErrorClass = new (pool: unknown) => Error;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PoolClearedError, PoolClearedOnNetworkError, WaitQueueTimeoutError } = require('mongodb/lib/cmap/errors') as {
  PoolClearedError: PoolErrorClass;
  PoolClearedOnNetworkError: PoolErrorClass;
  WaitQueueTimeoutError: new (message: string, address: string) => Error;
};

const pool = { address: '127.0.0.1:27017', serverError: new MongoNetworkError('connection reset') };
const serverError = (fields: Record<string, unknown>) => new MongoServerError({ message: 'server said no', ...fields });
const withLabel = (error: MongoServerError, label: string) => {
  error.addErrorLabel(label);
  return error;
};

describe('database connectivity errors → 503 SERVICE_UNAVAILABLE (by hierarchy, labels and codes, not exact names)', () => {
  it.each([
    ['PoolClearedOnNetworkError (the soak’s 500s)', new PoolClearedOnNetworkError(pool)],
    ['PoolClearedError', new PoolClearedError(pool)],
    ['MongoNetworkError', new MongoNetworkError('socket closed')],
    ['MongoNetworkTimeoutError', new MongoNetworkTimeoutError('timed out')],
    ['MongoServerSelectionError', new MongoServerSelectionError('no server', { type: 'Unknown' } as never)],
    ['MongoOperationTimeoutError (client-side operation timeout)', new MongoOperationTimeoutError('Timed out')],
    ['MongoNotConnectedError', new MongoNotConnectedError('not connected')],
    ['MongoTopologyClosedError', new MongoTopologyClosedError()],
    ['WaitQueueTimeoutError', new WaitQueueTimeoutError('checkout timed out', '127.0.0.1:27017')],
    ['a server error labelled ResetPool', withLabel(serverError({ code: 1 }), 'ResetPool')],
    ['a server error labelled RetryableWriteError', serverError({ code: 1, errorLabels: ['RetryableWriteError'] })],
    ['MaxTimeMSExpired (50)', serverError({ code: 50 })],
    ['NotWritablePrimary (10107)', serverError({ code: 10107 })],
    ['InterruptedAtShutdown (11600)', serverError({ code: 11600 })],
    ['a connectivity failure wrapped as a cause', new Error('repository failed', { cause: new PoolClearedOnNetworkError(pool) })],
    ['a subclass the driver may add later', new (class FutureNetworkError extends MongoNetworkError {})('new kind')],
  ])('%s', (_label, error) => {
    expect(isDatabaseUnreachable(error)).toBe(true);
    const response = toErrorResponse(error, { internalMessage: 'Failed to do it' });
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ success: false, error: 'Service temporarily unavailable', code: 'SERVICE_UNAVAILABLE' });
    expect(JSON.stringify(response.body)).not.toMatch(/127\.0\.0\.1|socket|pool|server said/i);
  });

  it.each([
    ['a duplicate key (11000)', serverError({ code: 11000 })],
    ['a bad query (2)', serverError({ code: 2 })],
    ['a plain Error', new Error('boom')],
    ['a TypeError', new TypeError('x is undefined')],
    ['a non-error', 'a string'],
    ['an AppError', new AppError('conflict', 'CONCURRENT_MODIFICATION', 'modified')],
  ])('%s is not a connectivity failure', (_label, error) => {
    expect(isDatabaseUnreachable(error)).toBe(false);
    expect(toErrorResponse(error).status).not.toBe(503);
  });
});
