import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { OnInternalError } from '@mfa/common';
import { DataResponse, dataResponse } from '../../../http/envelope';
import { MfaStatusDto } from './mfa-status.dto';
import { GetMfaStatusQuery } from './get-mfa-status.query';
import type { MfaStatus } from '../../domain/mfa-status';

@ApiTags('status')
@ApiBearerAuth()
@Controller('mfa')
export class GetMfaStatusController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('status')
  @OnInternalError('Failed to get MFA status')
  @ApiOperation({ summary: "The caller's MFA state and whether a second factor is required" })
  @ApiOkResponse({ type: MfaStatusDto })
  async getStatus(@CurrentPrincipal() principal: Principal): Promise<DataResponse<MfaStatus>> {
    return dataResponse(await this.queryBus.execute(new GetMfaStatusQuery(principal)));
  }
}
