import { Body, Controller, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import type { CommandMeta } from '@mfa/persistence';
import { subjectOf } from '../../../user-mfa/http/subject';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { MessageResponse, messageResponse } from '../../../http/envelope';
import { UserIdPipe } from '../../../http/user-id.pipe';
import { GrantExemptionCommand } from './grant-exemption.command';
import { GrantExemptionRequest } from './grant-exemption.request.dto';
import { OnInternalError } from '@mfa/common';
import { AdminOrgId, OrgAdminGuard } from '../../http/org-admin';

@ApiTags('organization')
@ApiBearerAuth()
@UseGuards(OrgAdminGuard)
@Controller('mfa/organization/exemptions')
export class GrantExemptionController {
  constructor(private readonly commandBus: CommandBus) {}

  @Put(':userId')
  @HttpCode(200)
  @OnInternalError('Failed to grant MFA exemption')
  @ApiParam({ name: 'userId', description: 'A member of the caller’s organization' })
  @ApiOperation({ summary: 'Exempt a member from the organization’s MFA enforcement (ADMINISTRATOR/OWNER)' })
  async grant(
    @AdminOrgId() orgId: string,
    @Param('userId', UserIdPipe) userId: string,
    @Body() body: GrantExemptionRequest,
    @CommandMetadata('admin') meta: CommandMeta,
    @CurrentPrincipal() principal: Principal,
  ): Promise<MessageResponse> {
    const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
    await this.commandBus.execute(new GrantExemptionCommand(orgId, userId, body.reason.trim(), expiresAt, meta, subjectOf(principal)));
    return messageResponse('MFA exemption granted');
  }
}
