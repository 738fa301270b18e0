import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '@mfa/common/config/app-config';
import { loadConfig } from './load-config';

const valid = {
  MONGO_URL: 'mongodb://127.0.0.1:27017/',
  KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
  AUTH_JWT_SECRET: 'x'.repeat(40),
  AUTH_ISSUER: 'https://id.example',
  AUTH_AUDIENCE: 'mfa-service',
  MFA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
};

/** What production must set explicitly (no localhost defaults, a pepper of its own). */
const explicitInProduction = {
  WEBAUTHN_RP_ID: 'example.com',
  WEBAUTHN_ORIGINS: 'https://app.example.com',
  MAGIC_LINK_BASE_URL: 'https://app.example.com/mfa/magic-link',
  MFA_BACKUP_CODE_PEPPER: Buffer.alloc(32, 9).toString('base64'),
};

function problem(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('loads a valid environment with defaults', () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', nodeEnv: 'development', bodyLimitBytes: 102400 });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(config.auth).toMatchObject({ algorithms: ['HS256'], issuer: 'https://id.example', audience: 'mfa-service' });
    expect(config.encryption.current).toMatchObject({ id: 'k1' });
    expect(config.events).toEqual({ source: 'mfa-service', outboxMaxAttempts: 5 });
    expect(loadConfig({ ...valid, OUTBOX_MAX_ATTEMPTS: '12' }).events.outboxMaxAttempts).toBe(12);
  });

  it.each([
    ['MONGO_URL', { MONGO_URL: undefined }, 'MONGO_URL is required'],
    ['MONGO_URL', { MONGO_URL: 'http://db' }, 'MONGO_URL must use mongodb: or mongodb+srv:'],
    ['KAFKA_BROKERS', { KAFKA_BROKERS: '' }, 'KAFKA_BROKERS is required'],
    ['KAFKA_BROKERS', { KAFKA_BROKERS: 'broker' }, 'KAFKA_BROKERS must be a comma list of host:port'],
    ['PORT', { PORT: '70000' }, 'PORT must be between 0 and 65535'],
    ['AUTH', { AUTH_JWT_SECRET: undefined }, 'exactly one of'],
    ['AUTH', { AUTH_JWKS_URL: 'https://id.example/jwks' }, 'exactly one of'],
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 'short' }, 'AUTH_JWT_SECRET must be at least 32 characters'],
    ['AUTH_JWT_SECRET', { NODE_ENV: 'production' }, 'AUTH_JWT_SECRET is for development and tests only'],
    ['AUTH_ALGORITHMS', { AUTH_ALGORITHMS: 'none' }, 'AUTH_ALGORITHMS "none" is not allowed'],
    ['AUTH_ALGORITHMS', { AUTH_ALGORITHMS: 'RS256' }, 'AUTH_ALGORITHMS "RS256" is not allowed with secret keys'],
    ['AUTH_ISSUER', { AUTH_ISSUER: undefined }, 'AUTH_ISSUER is required'],
    ['MFA_ENCRYPTION_KEY', { MFA_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') }, 'MFA_ENCRYPTION_KEY must be 32 random bytes'],
    ['MFA_ENCRYPTION_PREVIOUS_KEYS', { MFA_ENCRYPTION_PREVIOUS_KEYS: 'nokey' }, 'MFA_ENCRYPTION_PREVIOUS_KEYS must be a comma list'],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of'],
    ['OUTBOX_MAX_ATTEMPTS', { OUTBOX_MAX_ATTEMPTS: '0' }, 'OUTBOX_MAX_ATTEMPTS must be between 1 and 1000'],
  ])('names %s when it is wrong', (_variable, overrides, message) => {
    expect(problem({ ...valid, ...overrides })).toContain(message);
  });

  it('WebAuthn settings default to localhost; origins are a comma list of exact URLs', () => {
    expect(loadConfig(valid).webauthn).toEqual({
      rpId: 'localhost',
      rpName: 'mfa-service',
      origins: ['http://localhost:3000'],
      userVerification: 'preferred',
    });
    const custom = loadConfig({
      ...valid,
      WEBAUTHN_RP_ID: 'example.com',
      WEBAUTHN_RP_NAME: 'Example',
      WEBAUTHN_ORIGINS: 'https://app.example.com, https://login.example.com:8443',
      WEBAUTHN_USER_VERIFICATION: 'required',
    }).webauthn;
    expect(custom).toEqual({
      rpId: 'example.com',
      rpName: 'Example',
      origins: ['https://app.example.com', 'https://login.example.com:8443'],
      userVerification: 'required',
    });
    expect(problem({ ...valid, WEBAUTHN_ORIGINS: 'not a url' })).toContain('WEBAUTHN_ORIGINS must be a comma list of URLs');
    expect(problem({ ...valid, WEBAUTHN_ORIGINS: 'https://app.example.com/path' })).toContain('WEBAUTHN_ORIGINS must list exact origins');
    expect(problem({ ...valid, WEBAUTHN_ORIGINS: 'ftp://app.example.com' })).toContain('WEBAUTHN_ORIGINS must list exact origins');
    expect(problem({ ...valid, WEBAUTHN_USER_VERIFICATION: 'discouraged' })).toContain('WEBAUTHN_USER_VERIFICATION must be one of');
  });

  it('CORS is off by default; CORS_ALLOWED_ORIGINS lists exact origins, never a wildcard or a path', () => {
    expect(loadConfig(valid).cors).toEqual({ allowedOrigins: [] });
    expect(loadConfig({ ...valid, CORS_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173' }).cors).toEqual({
      allowedOrigins: ['https://app.example.com', 'http://localhost:5173'],
    });
    expect(problem({ ...valid, CORS_ALLOWED_ORIGINS: '*' })).toContain('CORS_ALLOWED_ORIGINS must be a comma list of URLs');
    expect(problem({ ...valid, CORS_ALLOWED_ORIGINS: 'https://app.example.com/' })).toContain('CORS_ALLOWED_ORIGINS must list exact origins');
  });

  it('MAGIC_LINK_LOGIN_URL is optional and must be an http(s) URL', () => {
    expect(loadConfig(valid).magicLink.loginUrl).toBeUndefined();
    expect(loadConfig({ ...valid, MAGIC_LINK_LOGIN_URL: 'https://login.example.com/mfa' }).magicLink.loginUrl).toBe('https://login.example.com/mfa');
    expect(problem({ ...valid, MAGIC_LINK_LOGIN_URL: 'javascript:alert(1)' })).toContain('MAGIC_LINK_LOGIN_URL');
  });

  it('MFA factor settings have working defaults; the backup-code pepper is derived from the encryption key unless set', () => {
    const config = loadConfig(valid);
    expect(config.totp).toEqual({ issuer: 'mfa-service', pendingSetupTtlMs: 600_000 });
    expect(config.rateLimits).toEqual({
      setup: { limit: 10, windowSeconds: 600 },
      verifySetup: { limit: 20, windowSeconds: 600 },
      magicLinkSend: { limit: 5, windowSeconds: 600 },
      magicLinkRecipient: { limit: 5, windowSeconds: 600 },
    });
    expect(config.magicLink).toEqual({ baseUrl: 'http://localhost:3000/mfa/magic-link/activate', allowUnverifiedEmail: false });
    expect(loadConfig({ ...valid, MAGIC_LINK_BASE_URL: 'https://app.example/mfa/activate' }).magicLink.baseUrl).toBe('https://app.example/mfa/activate');
    expect(problem({ ...valid, MAGIC_LINK_BASE_URL: 'not a url' })).toContain('MAGIC_LINK_BASE_URL must be a URL');
    expect(problem({ ...valid, MAGIC_LINK_BASE_URL: 'ftp://x.example/' })).toContain('MAGIC_LINK_BASE_URL must use http: or https:');
    expect(problem({ ...valid, MAGIC_LINK_SEND_RATE_LIMIT: '0' })).toContain('MAGIC_LINK_SEND_RATE_LIMIT must be between');
    expect(config.backupCodes.pepper).toHaveLength(32);
    expect(config.backupCodes.pepper.equals(Buffer.from(valid.MFA_ENCRYPTION_KEY, 'base64'))).toBe(false);
    expect(loadConfig(valid).backupCodes.pepper.equals(config.backupCodes.pepper)).toBe(true);
    const explicit = Buffer.alloc(48, 3).toString('base64');
    expect(loadConfig({ ...valid, MFA_BACKUP_CODE_PEPPER: explicit, TOTP_ISSUER: 'Acme' })).toMatchObject({
      totp: { issuer: 'Acme' },
      backupCodes: { pepper: Buffer.alloc(48, 3) },
    });
    expect(problem({ ...valid, MFA_BACKUP_CODE_PEPPER: Buffer.alloc(16).toString('base64') })).toContain('MFA_BACKUP_CODE_PEPPER must be at least 32');
    expect(problem({ ...valid, MFA_SETUP_RATE_LIMIT: '0' })).toContain('MFA_SETUP_RATE_LIMIT must be between');
    expect(config.enforcement).toEqual({ schedulerIntervalMs: 60_000, memberPageSize: 5_000 });
    expect(loadConfig({ ...valid, MFA_SCHEDULER_INTERVAL_MS: '0' }).enforcement.schedulerIntervalMs).toBe(0);
    expect(problem({ ...valid, MFA_SCHEDULER_INTERVAL_MS: '-1' })).toContain('MFA_SCHEDULER_INTERVAL_MS must be between');
    expect(problem({ ...valid, MFA_SETUP_TTL_SECONDS: 'soon' })).toContain('MFA_SETUP_TTL_SECONDS must be an integer');
  });

  it('HS algorithms are refused with a JWKS URL (algorithm confusion)', () => {
    expect(problem({ ...valid, AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: 'https://id.example/jwks', AUTH_ALGORITHMS: 'HS256' })).toContain(
      'not allowed with jwks keys',
    );
  });

  describe('MFA_TOKEN_SIGNING_KEYS', () => {
    const jwk = () => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'k-1' });
    const production = { ...valid, ...explicitInProduction, AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: 'https://id.example/jwks', NODE_ENV: 'production' };

    it('uses the configured keys, the first one signing', () => {
      const first = jwk();
      const second = { ...jwk(), kid: 'k-0' };
      const config = loadConfig({ ...production, MFA_TOKEN_SIGNING_KEYS: JSON.stringify({ keys: [first, second] }) });
      expect(config.mfaToken).toMatchObject({ ephemeral: false, issuer: 'mfa-service', audience: 'identity-service', ttlSeconds: 300 });
      expect(config.mfaToken.signingKeys.map((k) => k.kid)).toEqual(['k-1', 'k-0']);
    });

    it('generates a per-process key outside production only', () => {
      expect(loadConfig(valid).mfaToken).toMatchObject({ ephemeral: true, signingKeys: [expect.objectContaining({ kty: 'EC', crv: 'P-256' })] });
      expect(problem(production)).toContain('MFA_TOKEN_SIGNING_KEYS is required in production');
    });

    it.each([
      ['not JSON', 'nope', 'must be JSON'],
      ['no keys', '{"keys":[]}', 'non-empty "keys"'],
      ['an RSA key', JSON.stringify({ keys: [{ kty: 'RSA', n: 'x', e: 'AQAB', d: 'x', kid: 'a' }] }), 'private EC P-256 keys'],
      ['a public key only', JSON.stringify({ keys: [{ ...jwk(), d: undefined }] }), 'private EC P-256 keys'],
      ['a missing kid', JSON.stringify({ keys: [{ ...jwk(), kid: undefined }] }), 'unique `kid`'],
      ['duplicate kids', JSON.stringify({ keys: [jwk(), jwk()] }), 'unique `kid`'],
    ])('%s → ConfigError', (_what, value, message) => {
      expect(problem({ ...valid, MFA_TOKEN_SIGNING_KEYS: value })).toContain(message);
    });

    it('MFA_TOKEN_TTL_SECONDS is at most 5 minutes; MFA_STEP_UP_WINDOW_SECONDS defaults to 10 minutes', () => {
      expect(problem({ ...valid, MFA_TOKEN_TTL_SECONDS: '301' })).toContain('MFA_TOKEN_TTL_SECONDS must be between 30 and 300');
      expect(loadConfig(valid).stepUp.windowMs).toBe(600_000);
    });
  });

  describe('hostile input and secret hygiene settings (issue 11)', () => {
    const signing = JSON.stringify({ keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'k-1' }] });
    const production = {
      ...valid,
      ...explicitInProduction,
      AUTH_JWT_SECRET: undefined,
      AUTH_JWKS_URL: 'https://id.example/jwks',
      NODE_ENV: 'production',
      MFA_TOKEN_SIGNING_KEYS: signing,
    };

    it('production names every setting that has no safe default: RP id, origins, magic-link URL, backup-code pepper', () => {
      const without = {
        ...production,
        WEBAUTHN_RP_ID: undefined,
        WEBAUTHN_ORIGINS: undefined,
        MAGIC_LINK_BASE_URL: undefined,
        MFA_BACKUP_CODE_PEPPER: undefined,
      };
      expect(problem(without)).toBe(
        'Invalid configuration: WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS, MAGIC_LINK_BASE_URL, MFA_BACKUP_CODE_PEPPER must be set explicitly in production',
      );
      for (const name of Object.keys(explicitInProduction)) {
        expect(problem({ ...production, [name]: undefined })).toBe(`Invalid configuration: ${name} must be set explicitly in production`);
      }
      const config = loadConfig(production);
      expect(config.webauthn).toMatchObject({ rpId: 'example.com', origins: ['https://app.example.com'] });
      expect(config.backupCodes.pepper).toEqual(Buffer.alloc(32, 9));
    });

    it('the backup-code pepper does not follow the encryption key once set (rotation keeps backup codes)', () => {
      const pepper = Buffer.alloc(32, 9).toString('base64');
      const before = loadConfig({ ...valid, MFA_BACKUP_CODE_PEPPER: pepper }).backupCodes.pepper;
      const rotated = loadConfig({ ...valid, MFA_BACKUP_CODE_PEPPER: pepper, MFA_ENCRYPTION_KEY: Buffer.alloc(32, 8).toString('base64') }).backupCodes.pepper;
      expect(rotated).toEqual(before);
    });

    it('WebAuthn user verification is required by default in production, preferred elsewhere, and configurable', () => {
      expect(loadConfig(production).webauthn.userVerification).toBe('required');
      expect(loadConfig(valid).webauthn.userVerification).toBe('preferred');
      expect(loadConfig({ ...production, WEBAUTHN_USER_VERIFICATION: 'preferred' }).webauthn.userVerification).toBe('preferred');
    });

    it('AUTH_MAX_TOKEN_AGE_SECONDS defaults to a day; MANAGEMENT_PORT is off unless set', () => {
      expect(loadConfig(valid).auth.maxTokenAgeSeconds).toBe(86_400);
      expect(loadConfig({ ...valid, AUTH_MAX_TOKEN_AGE_SECONDS: '3600' }).auth.maxTokenAgeSeconds).toBe(3600);
      expect(problem({ ...valid, AUTH_MAX_TOKEN_AGE_SECONDS: '10' })).toContain('AUTH_MAX_TOKEN_AGE_SECONDS must be between 60');
      expect(loadConfig(valid).managementPort).toBeNull();
      expect(loadConfig({ ...valid, MANAGEMENT_PORT: '9100' }).managementPort).toBe(9100);
      expect(problem({ ...valid, MANAGEMENT_PORT: 'x' })).toContain('MANAGEMENT_PORT must be an integer');
    });

    it('magic links: vouched addresses only unless MAGIC_LINK_ALLOW_UNVERIFIED_EMAIL=true; a per-recipient limit', () => {
      expect(loadConfig(valid).magicLink.allowUnverifiedEmail).toBe(false);
      expect(loadConfig({ ...valid, MAGIC_LINK_ALLOW_UNVERIFIED_EMAIL: 'true' }).magicLink.allowUnverifiedEmail).toBe(true);
      expect(problem({ ...valid, MAGIC_LINK_ALLOW_UNVERIFIED_EMAIL: 'yes' })).toContain('MAGIC_LINK_ALLOW_UNVERIFIED_EMAIL must be true or false');
      expect(loadConfig(valid).rateLimits.magicLinkRecipient).toEqual({ limit: 5, windowSeconds: 600 });
    });

    it('MFA_TOKEN_PUBLISHED_KEYS: public halves only, kids unique across both lists', () => {
      const next = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
      const config = loadConfig({ ...valid, MFA_TOKEN_PUBLISHED_KEYS: JSON.stringify({ keys: [{ ...next, kid: 'next' }] }) });
      expect(config.mfaToken.publishedKeys).toEqual([{ kty: 'EC', crv: 'P-256', x: next.x, y: next.y, kid: 'next' }]);
      expect(problem({ ...production, MFA_TOKEN_PUBLISHED_KEYS: JSON.stringify({ keys: [{ ...next, kid: 'k-1' }] }) })).toContain('unique across');
      expect(problem({ ...valid, MFA_TOKEN_PUBLISHED_KEYS: JSON.stringify({ keys: [{ kty: 'RSA', kid: 'r' }] }) })).toContain('EC P-256 keys');
    });
  });
});
