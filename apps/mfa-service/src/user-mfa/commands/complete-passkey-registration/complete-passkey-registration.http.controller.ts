import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { OnInternalError } from '@mfa/common';
import type { CommandMeta } from '@mfa/persistence';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { MessageResponse, messageResponse } from '../../../http/envelope';
import { subjectOf } from '../../http/subject';
import { CompletePasskeyRegistrationCommand } from './complete-passkey-registration.command';
import { CompletePasskeyRegistrationRequest } from './complete-passkey-registration.request.dto';

@ApiTags('passkey')
@ApiBearerAuth()
@Controller('mfa/passkey')
export class CompletePasskeyRegistrationController {
  constructor(private readonly commandBus: CommandBus) {}

  /** `complete-registration-1` is an alias kept for old clients. */
  @Post(['complete-registration', 'complete-registration-1'])
  @HttpCode(200)
  @OnInternalError('Failed to complete passkey registration')
  @ApiOperation({ summary: 'Complete a passkey registration with the authenticator attestation' })
  async complete(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CompletePasskeyRegistrationRequest,
    @CommandMetadata('user') meta: CommandMeta,
  ): Promise<MessageResponse> {
    await this.commandBus.execute(new CompletePasskeyRegistrationCommand(subjectOf(principal), body.credential, body.challenge, meta));
    return messageResponse('Passkey registration completed');
  }
}
