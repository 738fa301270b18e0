import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OnInternalError } from '@mfa/common';
import { DataResponse, dataResponse } from '../../http/envelope';
import type { MemberPage } from '../../membership/compliance.reader';
import { GetOrgPolicyQuery, OrgPolicyView } from '../queries/get-org-policy/get-org-policy.query';
import { ListOrgMembersQuery } from '../queries/list-org-members/list-org-members.query';
import { ListOrgMembersRequest } from '../queries/list-org-members/list-org-members.request.dto';
import { AdminOrgId, OrgAdminGuard } from './org-admin';

@ApiTags('organization')
@ApiBearerAuth()
@UseGuards(OrgAdminGuard)
@Controller('mfa/organization')
export class OrgPolicyQueriesController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @OnInternalError('Failed to get organization MFA policy')
  @ApiOperation({ summary: 'The organization’s MFA policy and member compliance counts (ADMINISTRATOR/OWNER)' })
  async policy(@AdminOrgId() orgId: string): Promise<DataResponse<OrgPolicyView>> {
    return dataResponse(await this.queryBus.execute(new GetOrgPolicyQuery(orgId)));
  }

  @Get('members')
  @OnInternalError('Failed to list organization members')
  @ApiOperation({ summary: 'Compliance report: members by status, paged by cursor (also shows who enforcement would affect)' })
  async members(@AdminOrgId() orgId: string, @Query() query: ListOrgMembersRequest): Promise<DataResponse<MemberPage>> {
    return dataResponse(await this.queryBus.execute(new ListOrgMembersQuery(orgId, query.status, query.cursor, query.limit ?? 50)));
  }
}
