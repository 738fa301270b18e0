import { generateKeyPairSync, hkdfSync, JsonWebKey } from 'node:crypto';
import { ConfigError } from '@mfa/common/config/config-error';
import { Env, flag, integer, oneOf, optional, origins, required, url } from '@mfa/common/config/env-readers';
import type { NodeEnv, RateLimit } from '@mfa/common/config/app-config';

/**
 * The MFA service's own settings (factors, mfaToken, step-up, trust, rate limits, caches,
 * enforcement, retention), next to the platform's configuration in libs/common. `AppConfig` (`@mfa/common`) includes them through the
 * declaration merge at the end of this file; `loadConfig` (./load-config.ts) reads both.
 */
export interface MfaSettings {
  encryption: { current: EncryptionKey; previous: EncryptionKey[] };
  totp: {
    /** Issuer shown in authenticator apps (otpauth URI label and `issuer` parameter). */
    issuer: string;
    /** How long a started setup waits for its first code. */
    pendingSetupTtlMs: number;
  };
  /** HMAC key for backup-code hashes (never stored in the database). */
  backupCodes: { pepper: Buffer };
  magicLink: {
    /** Where a magic link points; the token is appended as the `token` query parameter. */
    baseUrl: string;
    /** Setup links may go to an address other than the token's `email` claim (off: vouched addresses only). */
    allowUnverifiedEmail: boolean;
    /** Where the landing page sends a login link's token (the login flow's page), if anywhere. */
    loginUrl?: string;
  };
  webauthn: {
    /** Relying party id (a registrable domain of the origins, no scheme or port). */
    rpId: string;
    rpName: string;
    /** Exact origins (scheme://host[:port]) a ceremony may come from. */
    origins: string[];
    userVerification: 'preferred' | 'required';
  };
  /** The short-lived JWT this service issues after a successful verify-login. */
  mfaToken: {
    /** Private EC P-256 JWKs with `kid`; the first signs, all are published in the JWKS (rotation). */
    signingKeys: SigningJwk[];
    /** Public keys published in the JWKS that never sign: the next key, published a cache lifetime before it signs. */
    publishedKeys: PublicJwk[];
    /** True when no key was configured and one was generated for this process (development and tests only). */
    ephemeral: boolean;
    issuer: string;
    audience: string;
    ttlSeconds: number;
  };
  /** How recent a second factor must be to change factors once the user has MFA (and the `auth_time` skew allowed). */
  stepUp: { windowMs: number; toleranceMs: number };
  trust: {
    /** A membership learned only from tokens stays active this long after the last token that showed it. */
    tokenMembershipTtlMs: number;
    /** How far ahead an exemption may expire at most (MFA_EXEMPTION_MAX_DAYS). */
    exemptionMaxMs: number;
  };
  rateLimits: {
    /** Setup starts per user per window (429 beyond). */
    setup: RateLimit;
    /** verify-setup attempts per user per window. */
    verifySetup: RateLimit;
    /** Magic links sent per user per window. */
    magicLinkSend: RateLimit;
    /** Magic links sent to one address per window, whoever asks. */
    magicLinkRecipient: RateLimit;
  };
  /** Staleness bound of the per-process org policy cache of the status queries (0 = no cache). */
  orgPolicyCacheTtlMs: number;
  /** Staleness bound of the per-process membership cache (status, methods, OrgAdminGuard) across instances (0 = no cache). */
  membershipCacheTtlMs: number;
  enforcement: {
    /** How often the enforcement scheduler looks for due deadlines and unfinished fan-outs; 0 = only on demand. */
    schedulerIntervalMs: number;
    /** Member ids a fan-out reads per query (notified and checkpointed 200 at a time). */
    memberPageSize: number;
  };
  /** How long bookkeeping collections keep documents (days; TTL indexes, or a sweep where TTL is missing). */
  retention: {
    /** event_log, the audit store: 0 = forever (default). */
    eventLogDays: number;
    /** Processed membership_inbox entries (the consumer's de-duplication memory). */
    membershipInboxDays: number;
    /** Superseded enforcement_jobs (a later enforcement replaced their revision). */
    enforcementJobsDays: number;
    outboxDeadLettersDays: number;
    /** How often the sweep runs where the database has no TTL indexes (FerretDB). */
    sweepIntervalMs: number;
  };
}

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface SigningJwk extends JsonWebKey {
  kid: string;
}

export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
}

const DAY_MS = 24 * 60 * 60_000;

const DEFAULT_MAGIC_LINK_BASE_URL = 'http://localhost:3000/mfa/magic-link/activate';

/** Reads and validates the MFA settings; the first problem stops start-up with a ConfigError naming the variable. */
export function loadMfaSettings(env: Env, nodeEnv: NodeEnv): MfaSettings {
  const signing = mfaTokenSigningKeys(env, nodeEnv);
  requireExplicitInProduction(env, nodeEnv);
  return {
    orgPolicyCacheTtlMs: integer(env, 'ORG_POLICY_CACHE_TTL_MS', 1000, 0, 60_000),
    membershipCacheTtlMs: integer(env, 'MEMBERSHIP_CACHE_TTL_MS', 1000, 0, 10_000),
    enforcement: {
      schedulerIntervalMs: integer(env, 'MFA_SCHEDULER_INTERVAL_MS', 60_000, 0, 86_400_000),
      memberPageSize: integer(env, 'MFA_ENFORCEMENT_PAGE_SIZE', 5_000, 1, 100_000),
    },
    retention: {
      eventLogDays: integer(env, 'EVENT_LOG_RETENTION_DAYS', 0, 0, 36_500),
      membershipInboxDays: integer(env, 'MEMBERSHIP_INBOX_RETENTION_DAYS', 30, 1, 3_650),
      enforcementJobsDays: integer(env, 'ENFORCEMENT_JOBS_RETENTION_DAYS', 30, 1, 3_650),
      outboxDeadLettersDays: integer(env, 'OUTBOX_DEAD_LETTERS_RETENTION_DAYS', 90, 1, 3_650),
      sweepIntervalMs: integer(env, 'RETENTION_SWEEP_INTERVAL_MS', 3_600_000, 1_000, 86_400_000),
    },
    encryption: {
      current: encryptionKey('MFA_ENCRYPTION_KEY', optional(env, 'MFA_ENCRYPTION_KEY_ID') ?? 'k1', required(env, 'MFA_ENCRYPTION_KEY')),
      previous: loadPreviousKeys(env),
    },
    totp: {
      issuer: optional(env, 'TOTP_ISSUER') ?? 'mfa-service',
      pendingSetupTtlMs: integer(env, 'MFA_SETUP_TTL_SECONDS', 600, 60, 3600) * 1000,
    },
    backupCodes: { pepper: backupCodePepper(env, Buffer.from(required(env, 'MFA_ENCRYPTION_KEY'), 'base64')) },
    magicLink: {
      baseUrl: optional(env, 'MAGIC_LINK_BASE_URL') === undefined ? DEFAULT_MAGIC_LINK_BASE_URL : url(env, 'MAGIC_LINK_BASE_URL', ['http:', 'https:']),
      allowUnverifiedEmail: flag(env, 'MAGIC_LINK_ALLOW_UNVERIFIED_EMAIL'),
      loginUrl: optional(env, 'MAGIC_LINK_LOGIN_URL') === undefined ? undefined : url(env, 'MAGIC_LINK_LOGIN_URL', ['http:', 'https:']),
    },
    webauthn: {
      rpId: optional(env, 'WEBAUTHN_RP_ID') ?? 'localhost',
      rpName: optional(env, 'WEBAUTHN_RP_NAME') ?? 'mfa-service',
      origins: origins(env, 'WEBAUTHN_ORIGINS', 'http://localhost:3000'),
      userVerification: oneOf(env, 'WEBAUTHN_USER_VERIFICATION', ['preferred', 'required'] as const, nodeEnv === 'production' ? 'required' : 'preferred'),
    },
    mfaToken: {
      signingKeys: signing.keys,
      publishedKeys: mfaTokenPublishedKeys(env, signing.keys),
      ephemeral: signing.ephemeral,
      issuer: optional(env, 'MFA_TOKEN_ISSUER') ?? 'mfa-service',
      audience: optional(env, 'MFA_TOKEN_AUDIENCE') ?? 'identity-service',
      ttlSeconds: integer(env, 'MFA_TOKEN_TTL_SECONDS', 300, 30, 300),
    },
    stepUp: {
      windowMs: integer(env, 'MFA_STEP_UP_WINDOW_SECONDS', 600, 30, 86_400) * 1000,
      toleranceMs: integer(env, 'AUTH_CLOCK_TOLERANCE_SECONDS', 5, 0, 300) * 1000,
    },
    trust: {
      tokenMembershipTtlMs: integer(env, 'MFA_TOKEN_MEMBERSHIP_TTL_DAYS', 30, 1, 365) * DAY_MS,
      exemptionMaxMs: integer(env, 'MFA_EXEMPTION_MAX_DAYS', 365, 1, 3650) * DAY_MS,
    },
    rateLimits: {
      setup: {
        limit: integer(env, 'MFA_SETUP_RATE_LIMIT', 10, 1, 10_000),
        windowSeconds: integer(env, 'MFA_SETUP_RATE_WINDOW_SECONDS', 600, 1, 86_400),
      },
      verifySetup: {
        limit: integer(env, 'MFA_VERIFY_SETUP_RATE_LIMIT', 20, 1, 10_000),
        windowSeconds: integer(env, 'MFA_VERIFY_SETUP_RATE_WINDOW_SECONDS', 600, 1, 86_400),
      },
      magicLinkSend: {
        limit: integer(env, 'MAGIC_LINK_SEND_RATE_LIMIT', 5, 1, 10_000),
        windowSeconds: integer(env, 'MAGIC_LINK_SEND_RATE_WINDOW_SECONDS', 600, 1, 86_400),
      },
      magicLinkRecipient: {
        limit: integer(env, 'MAGIC_LINK_RECIPIENT_RATE_LIMIT', 5, 1, 10_000),
        windowSeconds: integer(env, 'MAGIC_LINK_RECIPIENT_RATE_WINDOW_SECONDS', 600, 1, 86_400),
      },
    },
  };
}

/** In production these have no safe default (a default would silently point at localhost). */
const EXPLICIT_IN_PRODUCTION = ['WEBAUTHN_RP_ID', 'WEBAUTHN_ORIGINS', 'MAGIC_LINK_BASE_URL', 'MFA_BACKUP_CODE_PEPPER'];

function requireExplicitInProduction(env: Env, nodeEnv: NodeEnv): void {
  if (nodeEnv !== 'production') return;
  const missing = EXPLICIT_IN_PRODUCTION.filter((name) => optional(env, name) === undefined);
  if (missing.length > 0) throw new ConfigError(missing.join(', '), `must be set explicitly in production`);
}

function encryptionKey(name: string, id: string, base64: string): EncryptionKey {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== base64.replace(/=+$/, '')) {
    throw new ConfigError(name, 'must be 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`)');
  }
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(id)) throw new ConfigError(name, `has an invalid key id "${id}"`);
  return { id, key };
}

function loadPreviousKeys(env: Env): EncryptionKey[] {
  const raw = optional(env, 'MFA_ENCRYPTION_PREVIOUS_KEYS');
  if (!raw) return [];
  return raw.split(',').map((entry) => {
    const separator = entry.indexOf(':');
    if (separator <= 0) throw new ConfigError('MFA_ENCRYPTION_PREVIOUS_KEYS', 'must be a comma list of keyId:base64Key');
    return encryptionKey('MFA_ENCRYPTION_PREVIOUS_KEYS', entry.slice(0, separator).trim(), entry.slice(separator + 1).trim());
  });
}

/** MFA_ENCRYPTION_KEY (+ _ID) and MFA_ENCRYPTION_PREVIOUS_KEYS, for tools that need only these (mfa-ops reseal). */
export function loadEncryptionKeys(env: Env): { current: EncryptionKey; previous: EncryptionKey[] } {
  return {
    current: encryptionKey('MFA_ENCRYPTION_KEY', optional(env, 'MFA_ENCRYPTION_KEY_ID') ?? 'k1', required(env, 'MFA_ENCRYPTION_KEY')),
    previous: loadPreviousKeys(env),
  };
}

/**
 * MFA_BACKUP_CODE_PEPPER (base64, at least 32 bytes): required in production, so rotating
 * MFA_ENCRYPTION_KEY never changes it. Outside production, when unset, it is derived from the
 * current encryption key with HKDF-SHA-256 (development convenience: rotating that key there
 * invalidates existing backup codes).
 */
function backupCodePepper(env: Env, encryptionKey: Buffer): Buffer {
  const raw = optional(env, 'MFA_BACKUP_CODE_PEPPER');
  if (raw === undefined) {
    return Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'mfa-service backup-code pepper v1', 32));
  }
  const pepper = Buffer.from(raw, 'base64');
  if (pepper.length < 32 || pepper.toString('base64').replace(/=+$/, '') !== raw.replace(/=+$/, '')) {
    throw new ConfigError('MFA_BACKUP_CODE_PEPPER', 'must be at least 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`)');
  }
  return pepper;
}

/**
 * MFA_TOKEN_SIGNING_KEYS: a JWKS (`{"keys":[...]}`) of private EC P-256 keys, each with a
 * unique `kid`. Rotation: put the new key first and keep the old one until tokens it signed
 * have expired (5 minutes). Unset outside production: one key is generated per process.
 */
function mfaTokenSigningKeys(env: Env, nodeEnv: NodeEnv): { keys: SigningJwk[]; ephemeral: boolean } {
  const name = 'MFA_TOKEN_SIGNING_KEYS';
  const raw = optional(env, name);
  if (raw === undefined) {
    if (nodeEnv === 'production') throw new ConfigError(name, 'is required in production (a JWKS of private EC P-256 keys)');
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: `ephemeral-${Date.now().toString(36)}` }], ephemeral: true };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, 'must be JSON: {"keys":[{"kty":"EC","crv":"P-256","x":..,"y":..,"d":..,"kid":..}]}');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new ConfigError(name, 'must hold a non-empty "keys" array');
  const kids = new Set<string>();
  for (const key of keys as Array<Record<string, unknown>>) {
    const ok = key?.kty === 'EC' && key.crv === 'P-256' && [key.x, key.y, key.d].every((v) => typeof v === 'string');
    if (!ok) throw new ConfigError(name, 'must hold private EC P-256 keys (kty EC, crv P-256, x, y, d)');
    if (typeof key.kid !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(key.kid) || kids.has(key.kid)) {
      throw new ConfigError(name, 'keys need unique `kid` values ([A-Za-z0-9_.-], up to 64 characters)');
    }
    kids.add(key.kid);
  }
  return { keys: keys as SigningJwk[], ephemeral: false };
}

/**
 * MFA_TOKEN_PUBLISHED_KEYS: a JWKS of EC P-256 keys published at /.well-known/jwks.json that
 * never sign (private parts, if given, are dropped). Rotation: publish the next key here at
 * least one JWKS cache lifetime (300 s) before moving it first in MFA_TOKEN_SIGNING_KEYS.
 */
function mfaTokenPublishedKeys(env: Env, signing: SigningJwk[]): PublicJwk[] {
  const name = 'MFA_TOKEN_PUBLISHED_KEYS';
  const raw = optional(env, name);
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, 'must be JSON: {"keys":[{"kty":"EC","crv":"P-256","x":..,"y":..,"kid":..}]}');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new ConfigError(name, 'must hold a "keys" array');
  const kids = new Set(signing.map((k) => k.kid));
  return (keys as Array<Record<string, unknown>>).map((key) => {
    const ok = key?.kty === 'EC' && key.crv === 'P-256' && [key.x, key.y].every((v) => typeof v === 'string');
    if (!ok) throw new ConfigError(name, 'must hold EC P-256 keys (kty EC, crv P-256, x, y)');
    if (typeof key.kid !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(key.kid) || kids.has(key.kid)) {
      throw new ConfigError(name, 'keys need `kid` values unique across MFA_TOKEN_SIGNING_KEYS and MFA_TOKEN_PUBLISHED_KEYS');
    }
    kids.add(key.kid);
    return { kty: 'EC', crv: 'P-256', x: key.x as string, y: key.y as string, kid: key.kid };
  });
}

declare module '@mfa/common/config/app-config' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppSettings extends MfaSettings {}
}
