import { UserMfaModule } from '../user-mfa/user-mfa.module';
import { Module } from '@nestjs/common';
import { MembershipModule } from '../membership/membership.module';
import { OutboxModule } from '../outbox/outbox.module';
import { OrgPolicyReadCacheModule } from './infra/org-policy.read-cache';
import { EnforceOrgMfaHandler } from './commands/enforce-org-mfa/enforce-org-mfa.handler';
import { EnforceOrgMfaController } from './commands/enforce-org-mfa/enforce-org-mfa.http.controller';
import { GrantExemptionHandler } from './commands/grant-exemption/grant-exemption.handler';
import { GrantExemptionController } from './commands/grant-exemption/grant-exemption.http.controller';
import { RevokeExemptionHandler } from './commands/revoke-exemption/revoke-exemption.handler';
import { RevokeExemptionController } from './commands/revoke-exemption/revoke-exemption.http.controller';
import { EnforcementJobRunner } from './enforcement/enforcement-job.runner';
import { EnforcementScheduler } from './enforcement/enforcement.scheduler';
import { MemberNoticeWriter } from './enforcement/member-notices.writer';
import { NewMemberNotifier } from './enforcement/new-member.notifier';
import { ExemptionsMigration } from './infra/exemptions.migration';
import { OrgExemptions } from './infra/org-exemptions';
import { OrgPolicyRepository } from './infra/org-policy.repository';
import { GetOrgPolicyHandler } from './queries/get-org-policy/get-org-policy.handler';
import { GetOrgPolicyController } from './queries/get-org-policy/get-org-policy.http.controller';
import { ListOrgMembersHandler } from './queries/list-org-members/list-org-members.handler';
import { ListOrgMembersController } from './queries/list-org-members/list-org-members.http.controller';

@Module({
  imports: [OutboxModule, MembershipModule, OrgPolicyReadCacheModule, UserMfaModule],
  controllers: [EnforceOrgMfaController, GrantExemptionController, RevokeExemptionController, GetOrgPolicyController, ListOrgMembersController],
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
