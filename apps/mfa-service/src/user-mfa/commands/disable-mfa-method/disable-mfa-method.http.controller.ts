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
import { DisableMfaMethodCommand } from './disable-mfa-method.command';

@ApiTags('setup')
@ApiBearerAuth()
@Controller('mfa')
export class DisableMfaMethodController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post('disable')
  @HttpCode(200)
  @OnInternalError('Failed to disable MFA')
  @ApiOperation({ summary: 'Disable a method (refused for the last one while the organization enforces MFA)' })
  async disable(@CurrentPrincipal() principal: Principal, @Body() body: MfaTypeRequest, @CommandMetadata('user') meta: CommandMeta): Promise<MessageResponse> {
    await this.commandBus.execute(new DisableMfaMethodCommand(subjectOf(principal), body.mfaType, meta));
    return messageResponse('MFA method disabled');
  }
}
