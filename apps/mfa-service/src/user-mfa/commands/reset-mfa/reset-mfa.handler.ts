import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { Principal } from '@mfa/auth';
import { CLOCK, Clock } from '@mfa/common';
import { ActiveMembershipsReader } from '../../../membership/active-memberships.reader';
import { UserMfaState } from '../../domain/user-mfa';
import { decideReset } from '../../domain/reset';
import { subjectOf } from '../../http/subject';
import { MemberAuthority } from '../../infra/member-authority';
import { StepUpPolicy } from '../../infra/step-up.policy';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { ResetMfaCommand } from './reset-mfa.command';

const ROLE_MESSAGE = "Insufficient permissions. OWNER or ADMINISTRATOR role required to reset another user's MFA.";

@CommandHandler(ResetMfaCommand)
export class ResetMfaHandler implements ICommandHandler<ResetMfaCommand, void> {
  constructor(
    private readonly users: UserMfaRepository,
    private readonly memberships: ActiveMembershipsReader,
    private readonly authority: MemberAuthority,
    private readonly stepUp: StepUpPolicy,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ caller, resetUserId, meta }: ResetMfaCommand): Promise<void> {
    const targetId = resetUserId ?? caller.userId;
    const self = targetId === caller.userId;
    const now = this.clock.now();
    // Another user's factors: the trust model's authority rules, then the admin's own MFA and step-up.
    const orgIds = self
      ? await this.ownOrganizations(caller, now)
      : await this.authority.assert(caller, targetId, now, { change: true, roleMessage: ROLE_MESSAGE });
    let removedCredentials: string[] = [];
    const reset = (state: UserMfaState | null) => {
      removedCredentials = state?.passkeys.map((p) => p.credentialId) ?? [];
      return decideReset(state, { userId: targetId, orgId: caller.orgId, orgIds, resetBy: caller.userId, clearLockout: !self }, now);
    };
    await this.users.execute(targetId, self ? this.stepUp.guard(subjectOf(caller), reset, now) : reset, { ...meta, actorType: self ? 'user' : 'admin' }, now);
    // The removed passkeys' credential ids may be registered again (by anyone) from now on.
    await this.users.releasePasskeyCredentials(targetId, removedCredentials);
  }

  private async ownOrganizations(caller: Principal, now: Date): Promise<string[]> {
    return (await this.memberships.of(caller.userId, { orgId: caller.orgId, role: caller.orgRole }, now)).map((m) => m.orgId);
  }
}
