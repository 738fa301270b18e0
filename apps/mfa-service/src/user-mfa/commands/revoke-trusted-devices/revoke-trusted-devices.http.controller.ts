import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { OnInternalError } from '@mfa/common';
import type { CommandMeta } from '@mfa/persistence';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { MessageResponse, messageResponse } from '../../../http/envelope';
import { UserIdPipe } from '../../../http/user-id.pipe';
import { TrustedDeviceIdPipe } from '../../http/authenticator-id.pipe';
import { RevokeTrustedDevicesCommand } from './revoke-trusted-devices.command';

@ApiTags('trusted devices')
@ApiBearerAuth()
@Controller('mfa')
export class RevokeTrustedDevicesController {
  constructor(private readonly commandBus: CommandBus) {}

  @Delete('trusted-devices/:id')
  @HttpCode(200)
  @OnInternalError('Failed to revoke trusted device')
  @ApiParam({ name: 'id', description: 'An id from GET /mfa/trusted-devices (unknown, expired or another user’s: 404 TRUSTED_DEVICE_NOT_FOUND)' })
  @ApiOperation({ summary: 'Forget one remembered device: its token stops working at once' })
  async revokeOwn(
    @CurrentPrincipal() principal: Principal,
    @Param('id', TrustedDeviceIdPipe) id: string,
    @CommandMetadata('user') meta: CommandMeta,
  ): Promise<MessageResponse> {
    await this.commandBus.execute(new RevokeTrustedDevicesCommand(principal, { deviceId: id }, meta));
    return messageResponse('Trusted device revoked');
  }

  @Delete('organization/members/:userId/trusted-devices')
  @HttpCode(200)
  @OnInternalError('Failed to revoke trusted devices')
  @ApiParam({ name: 'userId', description: 'A member of the caller’s organization (admin authority rules, docs/trust-model.md §3)' })
  @ApiOperation({ summary: 'Forget every remembered device of a member (ADMINISTRATOR/OWNER, own MFA and step-up)' })
  async revokeMember(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', UserIdPipe) userId: string,
    @CommandMetadata('user') meta: CommandMeta,
  ): Promise<MessageResponse> {
    await this.commandBus.execute(new RevokeTrustedDevicesCommand(principal, { memberId: userId }, meta));
    return messageResponse('Trusted devices revoked');
  }
}
