import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import { uuidv7 } from '@mfa/common/ids/uuid-v7';
import { importJWK, JWK, KeyLike, SignJWT } from 'jose';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../infra/root-logger';
import type { Assurance } from '../domain/login-verification';

const ALG = 'ES256';

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
 * rotation still verify until they expire.
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
      keys: [first, ...rest].map(({ kty, crv, x, y, kid }) => ({ kty, crv, x, y, kid, use: 'sig', alg: ALG }) as JWK),
    };
    if (this.config.mfaToken.ephemeral) {
      this.logger.warn({ component: 'mfa-token', kid: first.kid }, 'MFA_TOKEN_SIGNING_KEYS is not set: signing mfaTokens with a per-process key');
    }
  }

  jwks(): PublicJwks {
    return this.publicJwks;
  }

  /** `assurance`: the `acr` and `amr` of the verified factor (login-verification.ts `assuranceOf`). */
  async issue(input: { userId: string; orgId: string | null; assurance: Assurance; now: Date }): Promise<IssuedMfaToken> {
    const iat = Math.floor(input.now.getTime() / 1000);
    const exp = iat + this.config.mfaToken.ttlSeconds;
    const mfaToken = await new SignJWT({ orgId: input.orgId, amr: [...input.assurance.amr], acr: input.assurance.acr, auth_time: iat })
      .setProtectedHeader({ alg: ALG, kid: this.signingKid, typ: 'JWT' })
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
