import { Module } from '@nestjs/common';
import { ComplianceReader } from './compliance.reader';
import { MemberJoined } from './member-joined';
import { MembershipConsumer } from './membership.consumer';
import { MembershipProjection } from './membership.projection';
import { MembershipGuard, MembershipRegistrar } from './membership.registrar';

@Module({
  providers: [
    ComplianceReader,
    MemberJoined,
    MembershipRegistrar,
    MembershipGuard,
    MembershipProjection,
    MembershipConsumer,
  ],
  exports: [ComplianceReader, MemberJoined, MembershipGuard],
})
export class MembershipModule {}
