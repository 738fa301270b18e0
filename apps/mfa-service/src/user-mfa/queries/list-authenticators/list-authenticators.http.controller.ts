import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { OnInternalError } from '@mfa/common';
import { DataResponse, dataResponse } from '../../../http/envelope';
import { UserIdPipe } from '../../../http/user-id.pipe';
import type { AuthenticatorView } from '../../domain/authenticators';
import { ListAuthenticatorsQuery } from './list-authenticators.query';

const SHAPE =
  'One entry per passkey (name, createdAt, lastUsedAt, deviceType, backedUp, transports, provider from its AAGUID or null), the authenticator app (`totp`), ' +
  'the email address (`email`, masked) and the backup codes (`backup-codes`: remaining, generatedAt). Never a secret, public key, hash or full address.';

@ApiTags('authenticators')
@ApiBearerAuth()
@Controller('mfa')
export class ListAuthenticatorsController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('authenticators')
  @OnInternalError('Failed to list authenticators')
  @ApiOperation({ summary: 'The caller’s authenticators, each with a stable id', description: SHAPE })
  async own(@CurrentPrincipal() principal: Principal): Promise<DataResponse<AuthenticatorView[]>> {
    return dataResponse(await this.queryBus.execute(new ListAuthenticatorsQuery(principal)));
  }

  @Get('organization/members/:userId/authenticators')
  @OnInternalError('Failed to list authenticators')
  @ApiParam({ name: 'userId', description: 'A member of the caller’s organization (admin authority rules, docs/trust-model.md §3)' })
  @ApiOperation({ summary: 'A member’s authenticators (ADMINISTRATOR/OWNER with authority over the member)', description: SHAPE })
  async member(@CurrentPrincipal() principal: Principal, @Param('userId', UserIdPipe) userId: string): Promise<DataResponse<AuthenticatorView[]>> {
    return dataResponse(await this.queryBus.execute(new ListAuthenticatorsQuery(principal, userId)));
  }
}
