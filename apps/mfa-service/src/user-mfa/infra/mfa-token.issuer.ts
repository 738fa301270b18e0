import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import { uuidv7 } from '@mfa/common/ids/uuid-v7';
import { importJWK, JWK, KeyLike, SignJWT } from 'jose';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../infra/root-logger';
import type { Assurance } from '../domain/login-verification';

const ALG = 'ES256';
/** RFC 8725 §3.11: its own type, so an mfaToken is never mistaken for an access or ID token. */
export const MFA_TOKEN_TYPE = 'mfa+jwt';

export interface IssuedMfaToken {
  mfaToken: string;
  expiresAt: Date;
}

export interface PublicJwks {
  keys: JWK[];
}

/**
 * Signs the short-lived `mfaToken` the identity service exchanges for a full-access token
 * (ES256, `kid` in the header) and publishes the public halves at /.well-known/jwks.json.
 * The first configured key signs; the others stay published so tokens signed before a
 * rotation still verify until they expire. MFA_TOKEN_PUBLISHED_KEYS are published and never
 * sign, so a next key reaches verifiers' caches (max-age 300 s) before its first token does.
 */
@Injectable()
export class MfaTokenIssuer implements OnModuleInit {
  private signingKey!: KeyLike | Uint8Array;
  private signingKid!: string;
  private publicJwks!: PublicJwks;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const [first, ...rest] = this.config.mfaToken.signingKeys;
    this.signingKey = await importJWK({ ...first, alg: ALG } as JWK, ALG);
    this.signingKid = first.kid;
    this.publicJwks = {
      keys: [first, ...rest, ...this.config.mfaToken.publishedKeys].map(({ kty, crv, x, y, kid }) => ({ kty, crv, x, y, kid, use: 'sig', alg: ALG }) as JWK),
    };
    if (this.config.mfaToken.ephemeral) {
      this.logger.warn({ component: 'mfa-token', kid: first.kid }, 'MFA_TOKEN_SIGNING_KEYS is not set: signing mfaTokens with a per-process key');
    }
  }

  jwks(): PublicJwks {
    return this.publicJwks;
  }

  /**
   * `assurance`: the `acr` and `amr` of the verified factor (login-verification.ts `assuranceOf`);
   * `sessionId`: the caller's session (`sid` of their token), carried as `sid` when known.
   */
  async issue(input: { userId: string; orgId: string | null; assurance: Assurance; now: Date; sessionId?: string | null }): Promise<IssuedMfaToken> {
    const iat = Math.floor(input.now.getTime() / 1000);
    const exp = iat + this.config.mfaToken.ttlSeconds;
    const claims = {
      orgId: input.orgId,
      amr: [...input.assurance.amr],
      acr: input.assurance.acr,
      auth_time: iat,
      ...(input.sessionId ? { sid: input.sessionId } : {}),
    };
    const mfaToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, kid: this.signingKid, typ: MFA_TOKEN_TYPE })
      .setIssuer(this.config.mfaToken.issuer)
      .setAudience(this.config.mfaToken.audience)
      .setSubject(input.userId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(uuidv7(input.now.getTime()))
      .sign(this.signingKey);
    return { mfaToken, expiresAt: new Date(exp * 1000) };
  }
}
