import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { OnInternalError } from '@mfa/common';
import type { CommandMeta } from '@mfa/persistence';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { MessageResponse, messageResponse } from '../../../http/envelope';
import { ResetMfaCommand } from './reset-mfa.command';
import { ResetMfaRequest } from './reset-mfa.request.dto';

@ApiTags('setup')
@ApiBearerAuth()
@Controller('mfa')
export class ResetMfaController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post('reset')
  @HttpCode(200)
  @OnInternalError('Failed to reset MFA')
  @ApiOperation({ summary: "Remove every method, secret and backup code (own, or a member's as OWNER/ADMINISTRATOR)" })
  async reset(@CurrentPrincipal() principal: Principal, @Body() body: ResetMfaRequest, @CommandMetadata('user') meta: CommandMeta): Promise<MessageResponse> {
    await this.commandBus.execute(new ResetMfaCommand(principal, body.resetUserId, meta));
    return messageResponse('MFA reset successfully');
  }
}
