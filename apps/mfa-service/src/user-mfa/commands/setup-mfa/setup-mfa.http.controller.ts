import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { AppError, OnInternalError } from '@mfa/common';
import type { CommandMeta } from '@mfa/persistence';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { DataResponse, dataResponse } from '../../../http/envelope';
import { isMfaMethod } from '../../domain/mfa-method';
import { subjectOf, tokenEmailOf } from '../../http/subject';
import { SetupMfaCommand, SetupResult } from './setup-mfa.command';
import { SetupMfaRequest } from './setup-mfa.request.dto';

@ApiTags('setup')
@ApiBearerAuth()
@Controller('mfa')
export class SetupMfaController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post('setup')
  @HttpCode(200)
  @OnInternalError('Failed to setup MFA')
  @ApiOperation({ summary: 'Begin setting up an MFA method (pending until verify-setup)' })
  async setup(
    @CurrentPrincipal() principal: Principal,
    @Body() body: SetupMfaRequest,
    @CommandMetadata('user') meta: CommandMeta,
  ): Promise<DataResponse<SetupResult>> {
    if (!isMfaMethod(body.mfaType)) throw new AppError('validation', 'INVALID_MFA_TYPE', 'Invalid MFA type specified');
    const accountName = principal.email ?? principal.userId;
    // MAGIC_LINK: the body's address, else the token's email claim when it is a usable address
    // (the handler sends only to the token's address unless MAGIC_LINK_ALLOW_UNVERIFIED_EMAIL).
    const tokenEmail = tokenEmailOf(principal);
    const email = body.mfaType === 'MAGIC_LINK' ? (body.email ?? tokenEmail) : null;
    const deviceName = body.mfaType === 'PASSKEY' ? (body.deviceInfo?.name ?? null) : null;
    return dataResponse(
      await this.commandBus.execute(new SetupMfaCommand(subjectOf(principal), body.mfaType, accountName, meta, email, deviceName, tokenEmail)),
    );
  }
}
