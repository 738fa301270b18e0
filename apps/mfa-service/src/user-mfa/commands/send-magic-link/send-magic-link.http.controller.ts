import { Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { NoBody, OnInternalError } from '@mfa/common';
import type { CommandMeta } from '@mfa/persistence';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { MessageResponse, messageResponse } from '../../../http/envelope';
import { subjectOf, tokenEmailOf } from '../../http/subject';
import { SendMagicLinkCommand } from './send-magic-link.command';

@ApiTags('magic-link')
@ApiBearerAuth()
@Controller('mfa/magic-link')
export class SendMagicLinkController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post('send')
  @HttpCode(200)
  @OnInternalError('Failed to send magic link')
  @ApiOperation({ summary: 'Send a magic link (setup until MAGIC_LINK is enabled, login after)' })
  async send(@CurrentPrincipal() principal: Principal, @CommandMetadata('user') meta: CommandMeta, @NoBody() _body: undefined): Promise<MessageResponse> {
    await this.commandBus.execute(new SendMagicLinkCommand(subjectOf(principal), tokenEmailOf(principal), meta));
    return messageResponse('Magic link sent successfully');
  }
}
