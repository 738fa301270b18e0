import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ComplianceReader } from './compliance.reader';
import { MembershipInterceptor, MembershipRegistrar } from './membership.registrar';

@Module({
  providers: [ComplianceReader, MembershipRegistrar, { provide: APP_INTERCEPTOR, useClass: MembershipInterceptor }],
  exports: [ComplianceReader],
})
export class MembershipModule {}
