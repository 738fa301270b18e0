import { Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { NoBody, OnInternalError } from '@mfa/common';
import type { CommandMeta } from '@mfa/persistence';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { DataResponse, dataResponse } from '../../../http/envelope';
import { subjectOf } from '../../http/subject';
import { PasskeyAuthOptions, PasskeyAuthOptionsCommand } from './passkey-auth-options.command';

@ApiTags('passkey')
@ApiBearerAuth()
@Controller('mfa/passkey')
export class PasskeyAuthOptionsController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post('auth-options')
  @HttpCode(200)
  @OnInternalError('Failed to generate authentication options')
  @ApiOperation({ summary: 'WebAuthn request options for the user’s passkeys (404 without a passkey)' })
  async authOptions(
    @CurrentPrincipal() principal: Principal,
    @CommandMetadata('user') meta: CommandMeta,
    @NoBody() _body: undefined,
  ): Promise<DataResponse<PasskeyAuthOptions>> {
    return dataResponse(await this.commandBus.execute(new PasskeyAuthOptionsCommand(subjectOf(principal), meta)));
  }
}
