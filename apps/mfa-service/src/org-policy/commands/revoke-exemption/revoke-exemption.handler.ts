import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { decideRevokeExemption } from '../../domain/org-policy';
import { OrgPolicyRepository } from '../../infra/org-policy.repository';
import { RevokeExemptionCommand } from './revoke-exemption.command';

@CommandHandler(RevokeExemptionCommand)
export class RevokeExemptionHandler implements ICommandHandler<RevokeExemptionCommand, void> {
  constructor(
    private readonly orgs: OrgPolicyRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: RevokeExemptionCommand): Promise<void> {
    const now = this.clock.now();
    await this.orgs.execute(
      command.orgId,
      (state) => decideRevokeExemption(state, { orgId: command.orgId, userId: command.userId, actorId: command.meta.actorId }, now),
      command.meta,
      now,
    );
  }
}
