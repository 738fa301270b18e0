import { UserMfaModule } from '../user-mfa/user-mfa.module';
import { Module } from '@nestjs/common';
import { MembershipModule } from '../membership/membership.module';
import { OutboxModule } from '../outbox/outbox.module';
import { OrgPolicyReadCacheModule } from './infra/org-policy.read-cache';
import { EnforceOrgMfaHandler } from './commands/enforce-org-mfa/enforce-org-mfa.handler';
import { EnforceOrgMfaController } from './commands/enforce-org-mfa/enforce-org-mfa.http.controller';
import { GrantExemptionHandler } from './commands/grant-exemption/grant-exemption.handler';
import { RevokeExemptionHandler } from './commands/revoke-exemption/revoke-exemption.handler';
import { EnforcementJobRunner } from './enforcement/enforcement-job.runner';
import { EnforcementScheduler } from './enforcement/enforcement.scheduler';
import { MemberNoticeWriter } from './enforcement/member-notices.writer';
import { NewMemberNotifier } from './enforcement/new-member.notifier';
import { ExemptionsController } from './http/exemptions.http.controller';
import { OrgPolicyQueriesController } from './http/org-policy-queries.http.controller';
import { ExemptionsMigration } from './infra/exemptions.migration';
import { OrgExemptions } from './infra/org-exemptions';
import { OrgPolicyRepository } from './infra/org-policy.repository';
import { GetOrgPolicyHandler } from './queries/get-org-policy/get-org-policy.handler';
import { ListOrgMembersHandler } from './queries/list-org-members/list-org-members.handler';

@Module({
  imports: [OutboxModule, MembershipModule, OrgPolicyReadCacheModule, UserMfaModule],
  controllers: [EnforceOrgMfaController, ExemptionsController, OrgPolicyQueriesController],
  providers: [
    OrgPolicyRepository,
    OrgExemptions,
    ExemptionsMigration,
    EnforceOrgMfaHandler,
    GrantExemptionHandler,
    RevokeExemptionHandler,
    GetOrgPolicyHandler,
    ListOrgMembersHandler,
    MemberNoticeWriter,
    EnforcementJobRunner,
    EnforcementScheduler,
    NewMemberNotifier,
  ],
})
export class OrgPolicyModule {}
