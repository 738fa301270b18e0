import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { OnInternalError } from '@mfa/common';
import type { CommandMeta } from '@mfa/persistence';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { MessageResponse, messageResponse } from '../../../http/envelope';
import { subjectOf } from '../../http/subject';
import { VerifyMfaSetupCommand } from './verify-mfa-setup.command';
import { VerifyMfaSetupRequest } from './verify-mfa-setup.request.dto';

@ApiTags('setup')
@ApiBearerAuth()
@Controller('mfa')
export class VerifyMfaSetupController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post('verify-setup')
  @HttpCode(200)
  @OnInternalError('Failed to verify MFA setup')
  @ApiOperation({ summary: 'Confirm a pending setup with a first code; the method becomes enabled' })
  async verifySetup(
    @CurrentPrincipal() principal: Principal,
    @Body() body: VerifyMfaSetupRequest,
    @CommandMetadata('user') meta: CommandMeta,
  ): Promise<MessageResponse> {
    await this.commandBus.execute(new VerifyMfaSetupCommand(subjectOf(principal), body.mfaType, body.code, meta));
    return messageResponse('MFA setup verified and enabled');
  }
}
