import { Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { NoBody, OnInternalError } from '@mfa/common';
import type { CommandMeta } from '@mfa/persistence';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { DataResponse, dataResponse } from '../../../http/envelope';
import { subjectOf } from '../../http/subject';
import { RegenerateBackupCodesCommand, RegeneratedBackupCodes } from './regenerate-backup-codes.command';

@ApiTags('setup')
@ApiBearerAuth()
@Controller('mfa/backup-codes')
export class RegenerateBackupCodesController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post('regenerate')
  @HttpCode(200)
  @OnInternalError('Failed to regenerate backup codes')
  @ApiOperation({ summary: 'Replace all backup codes with 10 new ones (shown once); needs a recent second factor' })
  async regenerate(
    @CurrentPrincipal() principal: Principal,
    @CommandMetadata('user') meta: CommandMeta,
    @NoBody() _body: undefined,
  ): Promise<DataResponse<RegeneratedBackupCodes>> {
    return dataResponse(await this.commandBus.execute(new RegenerateBackupCodesCommand(subjectOf(principal), meta)));
  }
}
