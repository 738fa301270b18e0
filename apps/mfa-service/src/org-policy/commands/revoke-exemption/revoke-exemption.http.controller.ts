import { Controller, Delete, HttpCode, Param, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { CommandMeta } from '@mfa/persistence';
import { OnInternalError } from '@mfa/common';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { MessageResponse, messageResponse } from '../../../http/envelope';
import { UserIdPipe } from '../../../http/user-id.pipe';
import { AdminOrgId, OrgAdminGuard } from '../../http/org-admin';
import { RevokeExemptionCommand } from './revoke-exemption.command';

@ApiTags('organization')
@ApiBearerAuth()
@UseGuards(OrgAdminGuard)
@Controller('mfa/organization/exemptions')
export class RevokeExemptionController {
  constructor(private readonly commandBus: CommandBus) {}

  @Delete(':userId')
  @HttpCode(200)
  @OnInternalError('Failed to revoke MFA exemption')
  @ApiParam({ name: 'userId', description: 'A member of the caller’s organization' })
  @ApiOperation({ summary: 'Remove a member’s exemption (ADMINISTRATOR/OWNER)' })
  async revoke(
    @AdminOrgId() orgId: string,
    @Param('userId', UserIdPipe) userId: string,
    @CommandMetadata('admin') meta: CommandMeta,
  ): Promise<MessageResponse> {
    await this.commandBus.execute(new RevokeExemptionCommand(orgId, userId, meta));
    return messageResponse('MFA exemption revoked');
  }
}
