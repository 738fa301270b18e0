import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { AppError, OnInternalError } from '@mfa/common';
import type { CommandMeta } from '@mfa/persistence';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { DataResponse, dataResponse } from '../../../http/envelope';
import { isMfaMethod } from '../../domain/mfa-method';
import { subjectOf } from '../../http/subject';
import { SetupMfaCommand, TotpSetupResult } from './setup-mfa.command';
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
  ): Promise<DataResponse<TotpSetupResult>> {
    if (!isMfaMethod(body.mfaType)) throw new AppError('validation', 'INVALID_MFA_TYPE', 'Invalid MFA type specified');
    const accountName = principal.email ?? principal.userId;
    return dataResponse(await this.commandBus.execute(new SetupMfaCommand(subjectOf(principal), body.mfaType, accountName, meta)));
  }
}
