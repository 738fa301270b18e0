import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ComplianceReader } from './compliance.reader';
import { MemberJoined } from './member-joined';
import { MembershipConsumer } from './membership.consumer';
import { MembershipProjection } from './membership.projection';
import { MembershipInterceptor, MembershipRegistrar } from './membership.registrar';

@Module({
  providers: [
    ComplianceReader,
    MemberJoined,
    MembershipRegistrar,
    MembershipProjection,
    MembershipConsumer,
    { provide: APP_INTERCEPTOR, useClass: MembershipInterceptor },
  ],
  exports: [ComplianceReader, MemberJoined],
})
export class MembershipModule {}
