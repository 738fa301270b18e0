/**
 * Whether an error means "the database cannot serve us right now" (→ 503), judged by the
 * driver's error hierarchy, its error labels and server codes rather than a list of exact
 * class names: the driver adds subclasses (PoolClearedOnNetworkError extends PoolClearedError
 * extends MongoNetworkError) and a name list silently misses them. Structural on purpose:
 * libs/common does not import the driver, and an app may load two copies of it (mongoose's).
 */

/** Driver (and mongoose) classes whose instances, and subclasses', are connectivity failures. */
const UNAVAILABLE_CLASSES = new Set([
  'MongoNetworkError', // includes MongoNetworkTimeoutError, PoolClearedError, PoolClearedOnNetworkError
  'MongoServerSelectionError',
  'MongoOperationTimeoutError', // client-side operation timeout (MONGO_OPERATION_TIMEOUT_MS)
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoServerClosedError',
  'MongoClientClosedError',
  'MongoStalePrimaryError',
  'WaitQueueTimeoutError',
  'PoolClosedError',
  'MongooseServerSelectionError',
  'DisconnectedError',
]);

/** Labels the driver attaches to errors that a retry on a healthy connection could fix. */
const UNAVAILABLE_LABELS = ['ResetPool', 'RetryableWriteError', 'InterruptInUseConnections', 'PoolRequstedRetry', 'HandshakeError'];

/**
 * Server codes of a node that is stepping down, shutting down, unreachable or out of time
 * (the driver's retryable-read set, plus MaxTimeMSExpired and ExceededTimeLimit).
 */
const UNAVAILABLE_CODES = new Set([6, 7, 50, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

function classNamesOf(error: object): string[] {
  const names: string[] = [];
  for (let proto = Object.getPrototypeOf(error) as object | null; proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string') names.push(name);
  }
  return names;
}

function hasUnavailableLabel(error: object): boolean {
  const labels = (error as { errorLabels?: unknown; errorLabelSet?: unknown }).errorLabels ?? (error as { errorLabelSet?: unknown }).errorLabelSet;
  const list = labels instanceof Set ? [...labels] : Array.isArray(labels) ? labels : [];
  return list.some((label) => UNAVAILABLE_LABELS.includes(String(label)));
}

function isOneMongoErrorUnavailable(error: object): boolean {
  const names = [...classNamesOf(error), (error as { name?: unknown }).name].filter((n): n is string => typeof n === 'string');
  if (names.some((name) => UNAVAILABLE_CLASSES.has(name))) return true;
  if (!names.some((name) => /^Mongo|^Mongoose/.test(name))) return false;
  if (hasUnavailableLabel(error)) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' && UNAVAILABLE_CODES.has(code);
}

export function isDatabaseUnreachable(error: unknown): boolean {
  // The failure may be wrapped (`cause`, or mongoose's `reason`); a short walk finds it.
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if (isOneMongoErrorUnavailable(current)) return true;
    current = (current as { cause?: unknown }).cause ?? (current as { reason?: unknown }).reason;
  }
  return false;
}
