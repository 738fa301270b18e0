import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { decideDisable } from '../../domain/user-mfa';
import { revokeDevicesOfUnusableFactors } from '../../factors/trusted-device/domain/trusted-devices';
import { OrgPolicyReader } from '../../infra/org-policy.reader';
import { StepUpPolicy } from '../../infra/step-up.policy';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { DisableMfaMethodCommand } from './disable-mfa-method.command';

@CommandHandler(DisableMfaMethodCommand)
export class DisableMfaMethodHandler implements ICommandHandler<DisableMfaMethodCommand, void> {
  constructor(
    private readonly users: UserMfaRepository,
    private readonly policies: OrgPolicyReader,
    private readonly stepUp: StepUpPolicy,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: DisableMfaMethodCommand): Promise<void> {
    const now = this.clock.now();
    const { userId } = command.subject;
    // Every organization the user belongs to, not only the token's: omitting orgId evades nothing.
    const { policy } = await this.policies.forUser(command.subject, now);
    await this.users.execute(
      userId,
      this.stepUp.guard(
        command.subject,
        (state) =>
          revokeDevicesOfUnusableFactors(
            decideDisable(state, { ...command.subject, method: command.method, enforcedByOrg: policy.enforcedBy.length > 0 }, now),
            command.subject,
          ),
        now,
      ),
      command.meta,
      now,
    );
  }
}
