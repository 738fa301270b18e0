import { randomBytes } from 'node:crypto';

export const TEST_ISSUER = 'https://identity.test';
export const TEST_AUDIENCE = 'mfa-service';
export const TEST_JWT_SECRET = 'test-secret-0123456789abcdefghijklmnopqrstuvwxyz';

export function requireInfra(): { mongoUrl: string; kafkaBrokers: string } {
  const mongoUrl = process.env.MFA_TEST_MONGO_URL;
  const kafkaBrokers = process.env.MFA_TEST_KAFKA_BROKERS;
  if (!mongoUrl || !kafkaBrokers) {
    throw new Error('Real infrastructure missing: run through jest (global setup) or set MONGO_URL and KAFKA_BROKERS');
  }
  return { mongoUrl, kafkaBrokers };
}

/** A unique database per test file keeps files independent while sharing one server. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** The environment a service instance under test runs with (the same variables as production). */
export function serviceEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const { mongoUrl, kafkaBrokers } = requireInfra();
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.MFA_TEST_LOG_LEVEL ?? 'silent',
    MONGO_URL: mongoUrl,
    MONGO_DB_NAME: uniqueName('mfa_test'),
    // FerretDB's global write lock (SQLite, serialized by the launcher's proxy) can hold a command for
    // seconds while a suite seeds or fans out thousands of documents: suites that are not about time
    // limits get a generous bound; those that are (outages, faults) set their own.
    MONGO_TIMEOUT_MS: '10000',
    MONGO_OPERATION_TIMEOUT_MS: '30000',
    KAFKA_BROKERS: kafkaBrokers,
    KAFKA_CLIENT_ID: uniqueName('mfa-test'),
    KAFKA_CONNECT_TIMEOUT_MS: '5000',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    AUTH_ISSUER: TEST_ISSUER,
    AUTH_AUDIENCE: TEST_AUDIENCE,
    MFA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    MFA_ENCRYPTION_KEY_ID: 'test-k1',
    ...overrides,
  };
}
