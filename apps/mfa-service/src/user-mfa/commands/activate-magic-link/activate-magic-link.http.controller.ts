import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@mfa/auth';
import { OnInternalError } from '@mfa/common';
import type { RequestMeta } from '@mfa/persistence';
import { RequestMetadata } from '../../../http/command-meta.decorator';
import { MessageResponse, messageResponse } from '../../../http/envelope';
import { ActivateMagicLinkCommand } from './activate-magic-link.command';
import { ActivateMagicLinkRequest } from './activate-magic-link.request.dto';

@ApiTags('magic-link')
@Controller('mfa/magic-link')
export class ActivateMagicLinkController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post('activate')
  @Public()
  @HttpCode(200)
  @OnInternalError('Failed to activate magic link MFA')
  @ApiOperation({ summary: 'Complete MAGIC_LINK setup with the token from a setup link (no bearer token)' })
  async activate(@Body() body: ActivateMagicLinkRequest, @RequestMetadata() meta: RequestMeta): Promise<MessageResponse> {
    await this.commandBus.execute(new ActivateMagicLinkCommand(body.token, meta));
    return messageResponse('Magic link MFA activated successfully');
  }
}
