import { Unauthorized } from '@mfa/common';
import type { AuthKeySource } from '@mfa/common';
import {
  createRemoteJWKSet,
  importSPKI,
  JWTPayload,
  jwtVerify,
  JWTVerifyGetKey,
  KeyLike,
} from 'jose';
import { createSecretKey, KeyObject } from 'node:crypto';
import { Principal } from './principal';

export interface TokenVerifierOptions {
  keySource: AuthKeySource;
  issuer: string;
  audience: string;
  algorithms: string[];
  clockToleranceSeconds: number;
}

type KeyResolver = KeyLike | KeyObject | Uint8Array | JWTVerifyGetKey;

const MAX_TOKEN_LENGTH = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Verifies bearer tokens issued by the upstream identity service: signature with an
 * algorithm allow-list (so `alg: none` and algorithm confusion are refused), issuer,
 * audience, `exp` and `nbf`. Every failure is the same 401 — the reason is not the caller's business.
 */
export class TokenVerifier {
  private constructor(
    private readonly key: KeyResolver,
    private readonly options: TokenVerifierOptions,
  ) {}

  static async create(options: TokenVerifierOptions): Promise<TokenVerifier> {
    return new TokenVerifier(await resolveKey(options), options);
  }

  async verify(token: string): Promise<Principal> {
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) throw Unauthorized();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key as JWTVerifyGetKey, {
        algorithms: this.options.algorithms,
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch {
      throw Unauthorized();
    }
    return toPrincipal(payload);
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
    issuedAt: typeof payload.iat === 'number' ? payload.iat : null,
  };
}
