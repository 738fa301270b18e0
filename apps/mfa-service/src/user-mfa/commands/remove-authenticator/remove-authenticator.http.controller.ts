import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { OnInternalError } from '@mfa/common';
import type { CommandMeta } from '@mfa/persistence';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { MessageResponse, messageResponse } from '../../../http/envelope';
import { UserIdPipe } from '../../../http/user-id.pipe';
import { AuthenticatorIdPipe } from '../../http/authenticator-id.pipe';
import { RemoveAuthenticatorCommand } from './remove-authenticator.command';

const RULES =
  'Removing the last passkey, the authenticator app or the email address removes that method (as never set up); refused with 403 MFA_ENFORCED_BY_ORG ' +
  'when it would leave no enabled method while an organization enforces MFA. A removed passkey’s credential id is released; devices it remembered are revoked.';

@ApiTags('authenticators')
@ApiBearerAuth()
@Controller('mfa')
export class RemoveAuthenticatorController {
  constructor(private readonly commandBus: CommandBus) {}

  @Delete('authenticators/:id')
  @HttpCode(200)
  @OnInternalError('Failed to remove authenticator')
  @ApiParam({ name: 'id', description: 'An id from GET /mfa/authenticators' })
  @ApiOperation({ summary: 'Remove one of the caller’s authenticators (step-up once the user has MFA)', description: RULES })
  async removeOwn(
    @CurrentPrincipal() principal: Principal,
    @Param('id', AuthenticatorIdPipe) id: string,
    @CommandMetadata('user') meta: CommandMeta,
  ): Promise<MessageResponse> {
    await this.commandBus.execute(new RemoveAuthenticatorCommand(principal, id, undefined, meta));
    return messageResponse('Authenticator removed');
  }

  @Delete('organization/members/:userId/authenticators/:id')
  @HttpCode(200)
  @OnInternalError('Failed to remove authenticator')
  @ApiParam({ name: 'userId', description: 'A member of the caller’s organization (admin authority rules, docs/trust-model.md §3)' })
  @ApiParam({ name: 'id', description: 'An id from the member’s authenticator list' })
  @ApiOperation({ summary: 'Remove a member’s lost authenticator without resetting the rest (ADMINISTRATOR/OWNER, own MFA and step-up)', description: RULES })
  async removeMember(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', UserIdPipe) userId: string,
    @Param('id', AuthenticatorIdPipe) id: string,
    @CommandMetadata('user') meta: CommandMeta,
  ): Promise<MessageResponse> {
    await this.commandBus.execute(new RemoveAuthenticatorCommand(principal, id, userId, meta));
    return messageResponse('Authenticator removed');
  }
}
