import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { OnInternalError } from '@mfa/common';
import { DataResponse, dataResponse } from '../../../http/envelope';
import type { MfaMethodInfo } from '../../domain/mfa-methods';
import { GetMfaMethodsQuery } from './get-mfa-methods.query';

@ApiTags('status')
@ApiBearerAuth()
@Controller('mfa')
export class GetMfaMethodsController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('methods')
  @OnInternalError('Failed to get MFA methods')
  @ApiOperation({ summary: 'All three methods with availability (org policy) and the caller’s configuration' })
  async getMethods(@CurrentPrincipal() principal: Principal): Promise<DataResponse<MfaMethodInfo[]>> {
    return dataResponse(await this.queryBus.execute(new GetMfaMethodsQuery(principal)));
  }
}
