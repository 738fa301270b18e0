import { Body, Controller, HttpCode, Param, Patch } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { OnInternalError } from '@mfa/common';
import type { CommandMeta } from '@mfa/persistence';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { MessageResponse, messageResponse } from '../../../http/envelope';
import { AuthenticatorIdPipe } from '../../http/authenticator-id.pipe';
import { subjectOf } from '../../http/subject';
import { RenameAuthenticatorCommand } from './rename-authenticator.command';
import { RenameAuthenticatorRequest } from './rename-authenticator.request.dto';

@ApiTags('authenticators')
@ApiBearerAuth()
@Controller('mfa/authenticators')
export class RenameAuthenticatorController {
  constructor(private readonly commandBus: CommandBus) {}

  @Patch(':id')
  @HttpCode(200)
  @OnInternalError('Failed to rename authenticator')
  @ApiParam({ name: 'id', description: 'An id from GET /mfa/authenticators (backup codes have no name: 400)' })
  @ApiOperation({ summary: 'Rename one of the caller’s authenticators (404 AUTHENTICATOR_NOT_FOUND for an unknown or another user’s id)' })
  async rename(
    @CurrentPrincipal() principal: Principal,
    @Param('id', AuthenticatorIdPipe) id: string,
    @Body() body: RenameAuthenticatorRequest,
    @CommandMetadata('user') meta: CommandMeta,
  ): Promise<MessageResponse> {
    await this.commandBus.execute(new RenameAuthenticatorCommand(subjectOf(principal), id, body.name, meta));
    return messageResponse('Authenticator renamed');
  }
}
