import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { OnInternalError } from '@mfa/common';
import type { CommandMeta } from '@mfa/persistence';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { MessageResponse, messageResponse } from '../../../http/envelope';
import { MfaTypeRequest } from '../../http/mfa-type.request.dto';
import { subjectOf } from '../../http/subject';
import { SetPrimaryMfaMethodCommand } from './set-primary-mfa-method.command';

@ApiTags('setup')
@ApiBearerAuth()
@Controller('mfa')
export class SetPrimaryMfaMethodController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post('primary')
  @HttpCode(200)
  @OnInternalError('Failed to set primary MFA')
  @ApiOperation({ summary: 'Make an enabled method the primary one' })
  async setPrimary(
    @CurrentPrincipal() principal: Principal,
    @Body() body: MfaTypeRequest,
    @CommandMetadata('user') meta: CommandMeta,
  ): Promise<MessageResponse> {
    await this.commandBus.execute(new SetPrimaryMfaMethodCommand(subjectOf(principal), body.mfaType, meta));
    return messageResponse('Primary MFA method updated');
  }
}
