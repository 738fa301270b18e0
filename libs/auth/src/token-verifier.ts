import { Unauthorized } from '@mfa/common';
import type { AuthKeySource } from '@mfa/common';
import { JWTHeaderParameters, createRemoteJWKSet, importSPKI, JWTPayload, jwtVerify, JWTVerifyGetKey, KeyLike } from 'jose';
import { createSecretKey, KeyObject } from 'node:crypto';
import { Principal } from './principal';

export interface TokenVerifierOptions {
  keySource: AuthKeySource;
  issuer: string;
  audience: string;
  algorithms: string[];
  clockToleranceSeconds: number;
  /** Longest lifetime (`exp - iat`) accepted; default one day. */
  maxTokenAgeSeconds?: number;
}

const DEFAULT_MAX_TOKEN_AGE_SECONDS = 86_400;
/** RFC 8725 §3.11: a token of another kind (e.g. our own `mfa+jwt`) is never a bearer token. */
const ACCEPTED_TYPES = new Set(['jwt', 'at+jwt', 'application/jwt', 'application/at+jwt']);

type KeyResolver = KeyLike | KeyObject | Uint8Array | JWTVerifyGetKey;

const MAX_TOKEN_LENGTH = 8192;
// Verified tokens are remembered briefly: a client sends the same bearer token with every
// request, and the signature check (RS256/ES256 in production) is the costliest step of a
// query. Bounded in count and size, never past the token's own `exp`, and at most 60 s so a
// key withdrawn from the JWKS stops being honoured quickly.
const CACHE_MAX_ENTRIES = 5_000;
const CACHE_MAX_TOKEN_LENGTH = 2048;
const CACHE_TTL_MS = 60_000;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Verifies bearer tokens issued by the upstream identity service: signature with an
 * algorithm allow-list (so `alg: none` and algorithm confusion are refused), issuer,
 * audience, `exp` and `nbf`. Every failure is the same 401 — the reason is not the caller's business.
 */
export class TokenVerifier {
  private readonly verified = new Map<string, { principal: Principal; notAfter: number }>();

  private constructor(
    private readonly key: KeyResolver,
    private readonly options: TokenVerifierOptions,
  ) {}

  static async create(options: TokenVerifierOptions): Promise<TokenVerifier> {
    return new TokenVerifier(await resolveKey(options), options);
  }

  async verify(token: string): Promise<Principal> {
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) throw Unauthorized();
    const now = Date.now();
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.notAfter > now) return hit.principal;
      this.verified.delete(token);
    }
    let payload: JWTPayload;
    let header: JWTHeaderParameters;
    try {
      ({ payload, protectedHeader: header } = await jwtVerify(token, this.key as JWTVerifyGetKey, {
        algorithms: this.options.algorithms,
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch {
      throw Unauthorized();
    }
    if (!this.acceptable(header, payload, now)) throw Unauthorized();
    return this.remember(token, toPrincipal(payload), payload, now);
  }

  /** `typ` (when present) names a bearer JWT; `iat` is not in the future; `exp - iat` is bounded. */
  private acceptable(header: JWTHeaderParameters, payload: JWTPayload, now: number): boolean {
    if (header.typ !== undefined && !ACCEPTED_TYPES.has(String(header.typ).toLowerCase())) return false;
    const { iat, exp } = payload;
    if (typeof iat !== 'number' || typeof exp !== 'number') return false;
    if (iat > now / 1000 + this.options.clockToleranceSeconds) return false;
    return exp - iat <= (this.options.maxTokenAgeSeconds ?? DEFAULT_MAX_TOKEN_AGE_SECONDS);
  }

  private remember(token: string, verified: Principal, payload: JWTPayload, now: number): Principal {
    // Frozen: the same object is handed to every request that presents this token.
    const principal = Object.freeze({ ...verified, amr: Object.freeze([...verified.amr]) as string[] });
    if (token.length > CACHE_MAX_TOKEN_LENGTH || typeof payload.exp !== 'number') return principal;
    // Valid until exp (+ the tolerance jose allows), as the full check would decide.
    const notAfter = Math.min(now + CACHE_TTL_MS, (payload.exp + this.options.clockToleranceSeconds) * 1000);
    if (notAfter <= now) return principal;
    if (this.verified.size >= CACHE_MAX_ENTRIES) {
      // Drop the oldest entry (Map keeps insertion order).
      this.verified.delete(this.verified.keys().next().value as string);
    }
    this.verified.set(token, { principal, notAfter });
    return principal;
  }
}

async function resolveKey(options: TokenVerifierOptions): Promise<KeyResolver> {
  const source = options.keySource;
  switch (source.kind) {
    case 'secret':
      return createSecretKey(Buffer.from(source.secret, 'utf8'));
    case 'public-key':
      return importSPKI(source.pem, options.algorithms[0]);
    case 'jwks':
      // jose caches the key set, refreshes on unknown `kid`, and rate-limits refetches.
      return createRemoteJWKSet(new URL(source.url), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
  }
}

function stringClaim(payload: JWTPayload, name: string): string | null {
  const value = payload[name];
  return typeof value === 'string' && value.length > 0 && value.length <= 256 ? value : null;
}

function toPrincipal(payload: JWTPayload): Principal {
  const userId = stringClaim(payload, 'sub');
  if (!userId) throw Unauthorized();
  const orgRole = payload['orgRole'];
  const amr = payload['amr'];
  return {
    userId,
    orgId: stringClaim(payload, 'orgId'),
    orgRole: typeof orgRole === 'number' && Number.isInteger(orgRole) ? orgRole : null,
    email: stringClaim(payload, 'email'),
    amr: Array.isArray(amr) ? amr.filter((m): m is string => typeof m === 'string') : [],
    authTime: typeof payload['auth_time'] === 'number' && Number.isFinite(payload['auth_time']) ? payload['auth_time'] : null,
    sessionId: stringClaim(payload, 'sid'),
  };
}
