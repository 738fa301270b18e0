import { SignJWT } from 'jose';
import { createSecretKey } from 'node:crypto';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_JWT_SECRET } from './test-env';

export interface TokenClaims {
  sub: string;
  orgId?: string;
  orgRole?: number;
  email?: string;
  amr?: string[];
  [claim: string]: unknown;
}

export interface TokenOptions {
  issuer?: string;
  audience?: string;
  secret?: string;
  algorithm?: string;
  expiresIn?: string | number;
  notBefore?: string | number;
  issuedAt?: number;
  /** `auth_time` given to a token whose `amr` names a second factor and that has none (default: now). */
  authTime?: number;
}

/**
 * `amr` of a session that has just passed a second factor: factor changes need no further step-up
 * (signToken stamps its `auth_time`, as the identity service does).
 */
export const STEPPED_UP = ['pwd', 'otp'];
const SECOND_FACTOR_AMR = ['otp', 'hwk', 'swk', 'mfa'];

/**
 * Signs a token the way the upstream identity service does (HS256 in tests). A token whose `amr`
 * names a second factor gets `auth_time` (options.authTime, else now) unless the claims set one
 * (or set it to `undefined` explicitly by passing `auth_time: null`, which is dropped).
 */
export async function signToken(claims: TokenClaims, options: TokenOptions = {}): Promise<string> {
  const secondFactor = Array.isArray(claims.amr) && claims.amr.some((m) => SECOND_FACTOR_AMR.includes(m));
  const stamped: Record<string, unknown> = { ...claims };
  if (secondFactor && !('auth_time' in claims)) stamped.auth_time = options.authTime ?? Math.floor(Date.now() / 1000);
  if (stamped.auth_time === null) delete stamped.auth_time;
  const jwt = new SignJWT(stamped)
    .setProtectedHeader({ alg: options.algorithm ?? 'HS256', typ: 'JWT' })
    .setIssuer(options.issuer ?? TEST_ISSUER)
    .setAudience(options.audience ?? TEST_AUDIENCE)
    .setExpirationTime(options.expiresIn ?? '10m');
  if (options.issuedAt !== undefined) jwt.setIssuedAt(options.issuedAt);
  else jwt.setIssuedAt();
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
  return jwt.sign(createSecretKey(Buffer.from(options.secret ?? TEST_JWT_SECRET, 'utf8')));
}

/** An unsigned `alg: none` token, which must always be refused. */
export function unsignedToken(claims: TokenClaims): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: now, exp: now + 600, ...claims })}.`;
}
