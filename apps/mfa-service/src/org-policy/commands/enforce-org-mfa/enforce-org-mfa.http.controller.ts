import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OnInternalError } from '@mfa/common';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import type { CommandMeta } from '@mfa/persistence';
import { subjectOf } from '../../../user-mfa/http/subject';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { MessageResponse, messageResponse } from '../../../http/envelope';
import { AdminOrgId, OrgAdminGuard } from '../../http/org-admin';
import { EnforceOrgMfaCommand } from './enforce-org-mfa.command';
import { EnforceOrgMfaRequest } from './enforce-org-mfa.request.dto';

@ApiTags('organization')
@ApiBearerAuth()
@UseGuards(OrgAdminGuard)
@Controller('mfa/organization')
export class EnforceOrgMfaController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post('enforce')
  @HttpCode(200)
  @OnInternalError('Failed to update organization MFA enforcement')
  @ApiOperation({ summary: 'Turn MFA enforcement for the caller’s organization on or off (ADMINISTRATOR/OWNER)' })
  async enforce(
    @AdminOrgId() orgId: string,
    @Body() body: EnforceOrgMfaRequest,
    @CommandMetadata('admin') meta: CommandMeta,
    @CurrentPrincipal() principal: Principal,
  ): Promise<MessageResponse> {
    const result = await this.commandBus.execute(
      new EnforceOrgMfaCommand(orgId, body.enforced, body.gracePeriodDays, body.allowedMethods, meta, subjectOf(principal), body.rememberDeviceDays),
    );
    return messageResponse(result.enforced ? 'MFA enforcement enabled for organization' : 'MFA enforcement disabled for organization');
  }
}
