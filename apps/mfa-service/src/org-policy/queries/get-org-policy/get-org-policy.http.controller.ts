import { Controller, Get, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OnInternalError } from '@mfa/common';
import { DataResponse, dataResponse } from '../../../http/envelope';
import { AdminOrgId, OrgAdminGuard } from '../../http/org-admin';
import { GetOrgPolicyQuery, OrgPolicyView } from './get-org-policy.query';

@ApiTags('organization')
@ApiBearerAuth()
@UseGuards(OrgAdminGuard)
@Controller('mfa/organization')
export class GetOrgPolicyController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @OnInternalError('Failed to get organization MFA policy')
  @ApiOperation({ summary: 'The organization’s MFA policy and member compliance counts (ADMINISTRATOR/OWNER)' })
  async policy(@AdminOrgId() orgId: string): Promise<DataResponse<OrgPolicyView>> {
    return dataResponse(await this.queryBus.execute(new GetOrgPolicyQuery(orgId)));
  }
}
