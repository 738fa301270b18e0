import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '@mfa/auth';
import { OnInternalError } from '@mfa/common';
import type { CommandMeta } from '@mfa/persistence';
import { CommandMetadata } from '../../../http/command-meta.decorator';
import { DataResponse, dataResponse } from '../../../http/envelope';
import { subjectOf } from '../../http/subject';
import { VerifyLoginCommand, VerifyLoginResult } from './verify-login.command';
import { VerifyLoginRequest } from './verify-login.request.dto';

@ApiTags('verification')
@ApiBearerAuth()
@Controller('mfa')
export class VerifyLoginController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post('verify-login')
  @HttpCode(200)
  @OnInternalError('Failed to verify MFA')
  @ApiOperation({
    summary: 'Verify a second factor at login; returns a short-lived mfaToken (ES256, see /.well-known/jwks.json)',
    description:
      '400 VERIFICATION_FAILED for a wrong factor; 5 consecutive failures lock verification for 15 minutes (423 LOCKED_OUT with retryAfter). ' +
      '`rememberDevice: true` adds `deviceToken` when the organization policy allows it (rememberDeviceDays > 0); otherwise — and with `mfaType: TRUSTED_DEVICE`, whose device is remembered already — the answer is the same 200 without it. ' +
      '`mfaType: TRUSTED_DEVICE` with `token` = a deviceToken logs in until the device expires, is revoked, MFA is reset or the factor that created it is removed.',
  })
  async verifyLogin(
    @CurrentPrincipal() principal: Principal,
    @Body() body: VerifyLoginRequest,
    @CommandMetadata('user') meta: CommandMeta,
  ): Promise<DataResponse<VerifyLoginResult>> {
    const { code, token, credential, rememberDevice = false, deviceName } = body;
    return dataResponse(
      await this.commandBus.execute(
        new VerifyLoginCommand(subjectOf(principal), body.mfaType, { code, token, credential }, meta, { rememberDevice, deviceName }),
      ),
    );
  }
}
