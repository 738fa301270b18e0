import { ActiveMembershipsReader } from './active-memberships.reader';
import { MemberKeyMigration } from './member-key.migration';
import { Module } from '@nestjs/common';
import { ComplianceReader } from './compliance.reader';
import { MemberJoined } from './member-joined';
import { MembershipConsumer } from './membership.consumer';
import { MembershipProjection } from './membership.projection';
import { MembershipGuard, MembershipRegistrar } from './membership.registrar';

@Module({
  providers: [
    ComplianceReader,
    ActiveMembershipsReader,
    MemberKeyMigration,
    MemberJoined,
    MembershipRegistrar,
    MembershipGuard,
    MembershipProjection,
    MembershipConsumer,
  ],
  exports: [ComplianceReader, ActiveMembershipsReader, MemberJoined, MembershipGuard],
})
export class MembershipModule {}
