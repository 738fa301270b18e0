import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OnInternalError } from '@mfa/common';
import { DataResponse, dataResponse } from '../../../http/envelope';
import type { MemberPage } from '../../../membership/compliance.reader';
import { AdminOrgId, OrgAdminGuard } from '../../http/org-admin';
import { ListOrgMembersQuery } from './list-org-members.query';
import { ListOrgMembersRequest } from './list-org-members.request.dto';

@ApiTags('organization')
@ApiBearerAuth()
@UseGuards(OrgAdminGuard)
@Controller('mfa/organization')
export class ListOrgMembersController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('members')
  @OnInternalError('Failed to list organization members')
  @ApiOperation({ summary: 'Compliance report: members by status, paged by cursor (also shows who enforcement would affect)' })
  async members(@AdminOrgId() orgId: string, @Query() query: ListOrgMembersRequest): Promise<DataResponse<MemberPage>> {
    return dataResponse(await this.queryBus.execute(new ListOrgMembersQuery(orgId, query.status, query.cursor, query.limit ?? 50)));
  }
}
