import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { isOrgAdmin } from '@mfa/auth';
import { AppError, CLOCK, Clock } from '@mfa/common';
import { ComplianceReader } from '../../../membership/compliance.reader';
import { decideReset, UserMfaState } from '../../domain/user-mfa';
import { subjectOf } from '../../http/subject';
import { StepUpPolicy } from '../../infra/step-up.policy';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { ResetMfaCommand } from './reset-mfa.command';

@CommandHandler(ResetMfaCommand)
export class ResetMfaHandler implements ICommandHandler<ResetMfaCommand, void> {
  constructor(
    private readonly users: UserMfaRepository,
    private readonly members: ComplianceReader,
    private readonly stepUp: StepUpPolicy,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ caller, resetUserId, meta }: ResetMfaCommand): Promise<void> {
    const targetId = resetUserId ?? caller.userId;
    const self = targetId === caller.userId;
    const now = this.clock.now();
    if (!self) {
      // Role first (a plain member learns nothing about who exists), then same-org membership:
      // an unknown user and a user of another organization answer the same 404.
      if (!isOrgAdmin(caller)) {
        throw new AppError('forbidden', 'FORBIDDEN', "Insufficient permissions. OWNER or ADMINISTRATOR role required to reset another user's MFA.");
      }
      if (!caller.orgId || !(await this.members.isMember(caller.orgId, targetId))) {
        throw new AppError('not_found', 'USER_NOT_FOUND', 'User not found');
      }
      // The member (who may have lost their factors) proves nothing; an admin who has MFA proves a
      // recent second factor of their own, so a stolen admin password session alone cannot strip
      // a member's factors (the first step of an account takeover).
      this.stepUp.assertActor(subjectOf(caller), (await this.users.load(caller.userId)).state, now);
    }
    let removedCredentials: string[] = [];
    const reset = (state: UserMfaState | null) => {
      removedCredentials = state?.passkeys.map((p) => p.credentialId) ?? [];
      return decideReset(state, { userId: targetId, orgId: caller.orgId, resetBy: caller.userId }, now);
    };
    await this.users.execute(
      targetId,
      self ? this.stepUp.guard(subjectOf(caller), reset, now) : reset,
      { ...meta, actorType: self ? 'user' : 'admin' },
      () => now,
    );
    // The removed passkeys' credential ids may be registered again (by anyone) from now on.
    await this.users.releasePasskeyCredentials(targetId, removedCredentials);
  }
}
