import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@mfa/auth';
import { MfaTokenIssuer, PublicJwks } from '../../infra/mfa-token.issuer';

/** The public keys that verify `mfaToken` (RFC 7517). Raw JWKS, not the envelope: JOSE clients expect this shape. */
@ApiTags('verification')
@Controller('.well-known')
export class GetJwksController {
  constructor(private readonly tokens: MfaTokenIssuer) {}

  @Public()
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys (ES256) that sign mfaToken; rotated keys stay listed while their tokens can be valid' })
  jwks(): PublicJwks {
    return this.tokens.jwks();
  }
}
