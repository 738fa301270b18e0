import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { decideRevokeExemption } from '../../domain/org-policy';
import { OrgExemptions } from '../../infra/org-exemptions';
import { RevokeExemptionCommand } from './revoke-exemption.command';

@CommandHandler(RevokeExemptionCommand)
export class RevokeExemptionHandler implements ICommandHandler<RevokeExemptionCommand, void> {
  constructor(
    private readonly exemptions: OrgExemptions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: RevokeExemptionCommand): Promise<void> {
    const now = this.clock.now();
    await this.exemptions.change(
      command.orgId,
      command.userId,
      (state, current, revision) =>
        decideRevokeExemption(state, current, { orgId: command.orgId, userId: command.userId, actorId: command.meta.actorId, revision }, now),
      command.meta,
      now,
    );
  }
}
