import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { OnInternalError } from '@mfa/common';
import { DataResponse, dataResponse } from '../../../http/envelope';
import type { TrustedDeviceView } from '../../factors/trusted-device/domain/trusted-devices';
import { ListTrustedDevicesQuery } from './list-trusted-devices.query';

@ApiTags('trusted devices')
@ApiBearerAuth()
@Controller('mfa')
export class ListTrustedDevicesController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('trusted-devices')
  @OnInternalError('Failed to list trusted devices')
  @ApiOperation({ summary: 'The caller’s remembered devices still accepted: id, name, createdAt, lastUsedAt, expiresAt (never a token or hash)' })
  async list(@CurrentPrincipal() principal: Principal): Promise<DataResponse<TrustedDeviceView[]>> {
    return dataResponse(await this.queryBus.execute(new ListTrustedDevicesQuery(principal)));
  }
}
