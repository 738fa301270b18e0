import { ConfigError } from './config-error';
import { Env, integer, oneOf, optional, origins, required, url } from './env-readers';
import { kafkaCreateTopics, KafkaSecurity, loadKafkaSecurity } from './kafka-security';

/**
 * Configuration, read once from the environment and validated at start-up. A bad or
 * missing variable stops the process with an error that names it (never a stack trace).
 * This file holds the platform's part (server, database, Kafka, auth, CORS); the MFA settings
 * (factors, caches, enforcement, retention) and `loadConfig` live in the service
 * (apps/mfa-service/src/config/).
 */
export type NodeEnv = 'development' | 'test' | 'production';

export type AuthKeySource = { kind: 'jwks'; url: string } | { kind: 'secret'; secret: string } | { kind: 'public-key'; pem: string };

/**
 * What an application adds to the platform's configuration. The MFA service declares its settings
 * by merging into this interface (apps/mfa-service/src/config/mfa-settings.ts), so code reading
 * `AppConfig` keeps one type while those settings are defined, parsed and documented in the service.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AppSettings {}

export type AppConfig = PlatformConfig & AppSettings;

export interface PlatformConfig {
  nodeEnv: NodeEnv;
  host: string;
  port: number;
  logLevel: string;
  bodyLimitBytes: number;
  shutdownGraceMs: number;
  /** When set, /metrics (and /docs in production) are served only on this port; health on both. */
  managementPort: number | null;
  mongo: {
    url: string;
    dbName?: string;
    timeoutMs: number;
    /** Client-side bound on every database operation (driver `timeoutMS`): a stalled database answers 503 after it. */
    operationTimeoutMs: number;
  };
  kafka: {
    brokers: string[];
    clientId: string;
    topicPartitions: number;
    topicReplicationFactor: number;
    connectTimeoutMs: number;
    /** TLS and SASL (KAFKA_SSL*, KAFKA_SASL_*). */
    security: KafkaSecurity;
    /** KAFKA_CREATE_TOPICS: create missing owned topics at start-up (else missing ones stop it). */
    createTopics: boolean;
  };
  events: {
    source: string;
    /** Times the broker may refuse an event's record (too large, invalid) before the relay sets it aside in outbox_dead_letters. */
    outboxMaxAttempts: number;
  };
  auth: {
    keySource: AuthKeySource;
    issuer: string;
    audience: string;
    algorithms: string[];
    clockToleranceSeconds: number;
    /** Longest lifetime (`exp - iat`) a bearer token may claim. */
    maxTokenAgeSeconds: number;
  };
  /** Exact browser origins allowed to call the API (CORS); empty = CORS off. */
  cors: { allowedOrigins: string[] };
}

export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

export { ConfigError } from './config-error';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const SYMMETRIC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];

function loadAuthKeySource(env: Env, nodeEnv: NodeEnv): AuthKeySource {
  const jwksUrl = optional(env, 'AUTH_JWKS_URL');
  const secret = optional(env, 'AUTH_JWT_SECRET');
  const publicKey = optional(env, 'AUTH_JWT_PUBLIC_KEY');
  const given = [jwksUrl, secret, publicKey].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new ConfigError('AUTH_JWKS_URL', 'exactly one of AUTH_JWKS_URL, AUTH_JWT_PUBLIC_KEY or AUTH_JWT_SECRET must be set');
  }
  if (jwksUrl) return { kind: 'jwks', url: url(env, 'AUTH_JWKS_URL', ['https:', 'http:']) };
  if (publicKey) {
    const pem = publicKey.replace(/\\n/g, '\n');
    if (!pem.includes('BEGIN PUBLIC KEY')) throw new ConfigError('AUTH_JWT_PUBLIC_KEY', 'must be a PEM SPKI public key');
    return { kind: 'public-key', pem };
  }
  if (nodeEnv === 'production') {
    throw new ConfigError('AUTH_JWT_SECRET', 'is for development and tests only; use AUTH_JWKS_URL in production');
  }
  if (secret!.length < 32) throw new ConfigError('AUTH_JWT_SECRET', 'must be at least 32 characters');
  return { kind: 'secret', secret: secret! };
}

function loadAlgorithms(env: Env, keySource: AuthKeySource): string[] {
  const allowed = keySource.kind === 'secret' ? SYMMETRIC_ALGORITHMS : ASYMMETRIC_ALGORITHMS;
  const raw = optional(env, 'AUTH_ALGORITHMS');
  const algorithms = raw
    ? raw
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean)
    : [keySource.kind === 'secret' ? 'HS256' : 'RS256', ...(keySource.kind === 'secret' ? [] : ['ES256'])];
  for (const alg of algorithms) {
    if (!allowed.includes(alg)) {
      throw new ConfigError('AUTH_ALGORITHMS', `"${alg}" is not allowed with ${keySource.kind} keys (allowed: ${allowed.join(', ')})`);
    }
  }
  return algorithms;
}

/** The platform's part of the configuration; the service's `loadConfig` adds its settings. */
export function loadPlatformConfig(env: Env = process.env): PlatformConfig {
  const nodeEnv = oneOf<NodeEnv>(env, 'NODE_ENV', ['development', 'test', 'production'], 'development');
  const keySource = loadAuthKeySource(env, nodeEnv);
  const brokers = required(env, 'KAFKA_BROKERS')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const broker of brokers) {
    if (!/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(broker)) {
      throw new ConfigError('KAFKA_BROKERS', `must be a comma list of host:port, got "${broker}"`);
    }
  }
  return {
    nodeEnv,
    host: optional(env, 'HOST') ?? '127.0.0.1',
    port: integer(env, 'PORT', 3000, 0, 65535),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, nodeEnv === 'test' ? 'warn' : 'info'),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 100 * 1024, 1024, 10 * 1024 * 1024),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 120_000),
    managementPort: optional(env, 'MANAGEMENT_PORT') === undefined ? null : integer(env, 'MANAGEMENT_PORT', 0, 0, 65535),
    mongo: {
      url: url(env, 'MONGO_URL', ['mongodb:', 'mongodb+srv:']),
      dbName: optional(env, 'MONGO_DB_NAME'),
      timeoutMs: integer(env, 'MONGO_TIMEOUT_MS', 5000, 100, 120_000),
      operationTimeoutMs: integer(env, 'MONGO_OPERATION_TIMEOUT_MS', 3000, 100, 120_000),
    },
    kafka: {
      brokers,
      clientId: optional(env, 'KAFKA_CLIENT_ID') ?? 'mfa-service',
      topicPartitions: integer(env, 'KAFKA_TOPIC_PARTITIONS', 3, 1, 1000),
      topicReplicationFactor: integer(env, 'KAFKA_TOPIC_REPLICATION_FACTOR', 1, 1, 10),
      connectTimeoutMs: integer(env, 'KAFKA_CONNECT_TIMEOUT_MS', 5000, 100, 120_000),
      security: loadKafkaSecurity(env),
      createTopics: kafkaCreateTopics(env),
    },
    events: {
      source: optional(env, 'EVENT_SOURCE') ?? 'mfa-service',
      outboxMaxAttempts: integer(env, 'OUTBOX_MAX_ATTEMPTS', 5, 1, 1_000),
    },
    auth: {
      keySource,
      issuer: required(env, 'AUTH_ISSUER'),
      audience: required(env, 'AUTH_AUDIENCE'),
      algorithms: loadAlgorithms(env, keySource),
      clockToleranceSeconds: integer(env, 'AUTH_CLOCK_TOLERANCE_SECONDS', 5, 0, 300),
      maxTokenAgeSeconds: integer(env, 'AUTH_MAX_TOKEN_AGE_SECONDS', 86_400, 60, 30 * 86_400),
    },
    cors: { allowedOrigins: optional(env, 'CORS_ALLOWED_ORIGINS') === undefined ? [] : origins(env, 'CORS_ALLOWED_ORIGINS', '') },
  };
}

export const APP_CONFIG = Symbol('AppConfig');
