import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { decideRemoveAuthenticator, RemovedAuthenticator } from '../../domain/authenticators';
import type { UserMfaState } from '../../domain/user-mfa';
import { subjectOf } from '../../http/subject';
import { MemberAuthority } from '../../infra/member-authority';
import { OrgPolicyReader } from '../../infra/org-policy.reader';
import { StepUpPolicy } from '../../infra/step-up.policy';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { RemoveAuthenticatorCommand } from './remove-authenticator.command';

@CommandHandler(RemoveAuthenticatorCommand)
export class RemoveAuthenticatorHandler implements ICommandHandler<RemoveAuthenticatorCommand, void> {
  constructor(
    private readonly users: UserMfaRepository,
    private readonly policies: OrgPolicyReader,
    private readonly stepUp: StepUpPolicy,
    private readonly authority: MemberAuthority,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ caller, authenticatorId, memberId, meta }: RemoveAuthenticatorCommand): Promise<void> {
    const now = this.clock.now();
    const targetId = memberId ?? caller.userId;
    const self = targetId === caller.userId;
    // An admin: authority over the member, their own MFA and step-up. The user: step-up once they have MFA.
    const orgIds = self ? undefined : await this.authority.assert(caller, targetId, now, { change: true });
    // The member's organizations (every active membership), not the admin's token.
    const { policy } = await this.policies.forUser(
      self ? { userId: caller.userId, orgId: caller.orgId, orgRole: caller.orgRole } : { userId: targetId, orgId: null },
      now,
    );
    let decision: RemovedAuthenticator | undefined;
    const remove = (state: UserMfaState | null) =>
      (decision = decideRemoveAuthenticator(
        state,
        { userId: targetId, orgId: caller.orgId, authenticatorId, enforcedByOrg: policy.enforcedBy.length > 0, removedBy: caller.userId, orgIds },
        now,
      ));
    await this.users.execute(targetId, self ? this.stepUp.guard(subjectOf(caller), remove, now) : remove, { ...meta, actorType: self ? 'user' : 'admin' }, now);
    // The removed passkey's credential id may be registered again (by anyone) from now on.
    if (decision?.releasedCredentialId) await this.users.releasePasskeyCredential(decision.releasedCredentialId, targetId);
  }
}
