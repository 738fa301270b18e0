import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error';

/**
 * How the service, mfa-ops and the example consumer reach a secured Kafka (MSK, Confluent
 * Cloud, Aiven, Strimzi with TLS): TLS and SASL, from the same variables in all three.
 * Files are read and checked at start-up, so a wrong path fails before anything connects.
 */
export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512' | 'oauthbearer';

export const KAFKA_SASL_MECHANISMS: readonly KafkaSaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'];

export interface KafkaTls {
  /** PEM CA certificates to trust; absent = the system's CAs. */
  ca?: string;
  /** Client certificate and key (mutual TLS), both or neither. */
  cert?: string;
  key?: string;
  keyPassword?: string;
}

export type KafkaSasl =
  | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  | {
      mechanism: 'oauthbearer';
      /** OAuth 2.0 client-credentials token endpoint. */
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
      scope?: string;
    };

export interface KafkaSecurity {
  /** null: plaintext connections. */
  tls: KafkaTls | null;
  /** null: no SASL authentication. */
  sasl: KafkaSasl | null;
}

type Env = Record<string, string | undefined>;

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: Env, name: string, why: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigError(name, `is required ${why}`);
  return value;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function pemFile(env: Env, name: string, marker: RegExp, what: string): string | undefined {
  const path = optional(env, name);
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(name, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}: ${path})`);
  }
  if (!marker.test(text)) throw new ConfigError(name, `must be a PEM file holding ${what} (${path})`);
  return text;
}

const isLoopback = (host: string) => host === 'localhost' || host === '127.0.0.1' || host === '[::1]';

/** KAFKA_CREATE_TOPICS: false where ACLs forbid creating topics (missing ones then stop start-up). */
export function kafkaCreateTopics(env: Env): boolean {
  return flag(env, 'KAFKA_CREATE_TOPICS', true);
}

export function loadKafkaSecurity(env: Env): KafkaSecurity {
  const ssl = flag(env, 'KAFKA_SSL', false);
  let tls: KafkaTls | null = null;
  const fileVariables = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', 'KAFKA_SSL_KEY_PASSWORD'];
  if (ssl) {
    const ca = pemFile(env, 'KAFKA_SSL_CA_FILE', /-----BEGIN CERTIFICATE-----/, 'CA certificates');
    const cert = pemFile(env, 'KAFKA_SSL_CERT_FILE', /-----BEGIN CERTIFICATE-----/, 'a certificate');
    const key = pemFile(env, 'KAFKA_SSL_KEY_FILE', /-----BEGIN (ENCRYPTED |RSA |EC )?PRIVATE KEY-----/, 'a private key');
    if ((cert === undefined) !== (key === undefined)) {
      throw new ConfigError(cert ? 'KAFKA_SSL_KEY_FILE' : 'KAFKA_SSL_CERT_FILE', 'is required with the other (client certificate and key go together)');
    }
    tls = { ca, cert, key, keyPassword: optional(env, 'KAFKA_SSL_KEY_PASSWORD') };
  } else {
    const stray = fileVariables.find((name) => optional(env, name) !== undefined);
    if (stray) throw new ConfigError(stray, 'is set but KAFKA_SSL is not true');
  }

  const rawMechanism = optional(env, 'KAFKA_SASL_MECHANISM')?.toLowerCase();
  if (rawMechanism === undefined) {
    const stray = ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_OAUTH_TOKEN_URL'].find((name) => optional(env, name) !== undefined);
    if (stray) throw new ConfigError(stray, 'is set but KAFKA_SASL_MECHANISM is not');
    return { tls, sasl: null };
  }
  if (!KAFKA_SASL_MECHANISMS.includes(rawMechanism as KafkaSaslMechanism)) {
    throw new ConfigError('KAFKA_SASL_MECHANISM', `must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}, got "${rawMechanism}"`);
  }
  const mechanism = rawMechanism as KafkaSaslMechanism;
  const why = `with KAFKA_SASL_MECHANISM=${mechanism}`;
  if (mechanism === 'oauthbearer') {
    const tokenUrl = required(env, 'KAFKA_SASL_OAUTH_TOKEN_URL', why);
    let parsed: URL;
    try {
      parsed = new URL(tokenUrl);
    } catch {
      throw new ConfigError('KAFKA_SASL_OAUTH_TOKEN_URL', 'must be a URL');
    }
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopback(parsed.hostname))) {
      throw new ConfigError('KAFKA_SASL_OAUTH_TOKEN_URL', 'must use https (http only on the loopback interface)');
    }
    return {
      tls,
      sasl: {
        mechanism,
        tokenUrl,
        clientId: required(env, 'KAFKA_SASL_OAUTH_CLIENT_ID', why),
        clientSecret: required(env, 'KAFKA_SASL_OAUTH_CLIENT_SECRET', why),
        scope: optional(env, 'KAFKA_SASL_OAUTH_SCOPE'),
      },
    };
  }
  // PLAIN sends the password itself: only inside TLS.
  if (mechanism === 'plain' && !tls) throw new ConfigError('KAFKA_SASL_MECHANISM', 'plain sends the password in clear text: set KAFKA_SSL=true');
  const username = required(env, 'KAFKA_SASL_USERNAME', why);
  const password = env['KAFKA_SASL_PASSWORD'];
  if (password === undefined || password === '') throw new ConfigError('KAFKA_SASL_PASSWORD', `is required ${why}`);
  return { tls, sasl: { mechanism, username, password } };
}

/** For logs: what is configured, never a secret. */
export function describeKafkaSecurity(security: KafkaSecurity): string {
  const tls = security.tls ? `TLS (${security.tls.ca ? 'given CA' : 'system CAs'}${security.tls.cert ? ', client certificate' : ''})` : 'plaintext';
  const sasl = security.sasl
    ? `SASL ${security.sasl.mechanism}${security.sasl.mechanism === 'oauthbearer' ? ` (client ${security.sasl.clientId})` : ` as ${security.sasl.username}`}`
    : 'no SASL';
  return `${tls}, ${sasl}`;
}
