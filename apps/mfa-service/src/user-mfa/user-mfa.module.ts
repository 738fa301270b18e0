import { Module } from '@nestjs/common';
import { GetMfaStatusController } from './queries/get-mfa-status/get-mfa-status.http.controller';
import { GetMfaStatusHandler } from './queries/get-mfa-status/get-mfa-status.handler';

@Module({
  controllers: [GetMfaStatusController],
  providers: [GetMfaStatusHandler],
})
export class UserMfaModule {}
