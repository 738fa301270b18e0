import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AppError, CLOCK, Clock } from '@mfa/common';
import { ComplianceReader } from '../../../membership/compliance.reader';
import { decideGrantExemption } from '../../domain/org-policy';
import { OrgPolicyRepository } from '../../infra/org-policy.repository';
import { GrantExemptionCommand } from './grant-exemption.command';

@CommandHandler(GrantExemptionCommand)
export class GrantExemptionHandler implements ICommandHandler<GrantExemptionCommand, void> {
  constructor(
    private readonly orgs: OrgPolicyRepository,
    private readonly compliance: ComplianceReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: GrantExemptionCommand): Promise<void> {
    // Only members of the admin's own org: anyone else is "not found" (no cross-org existence leak).
    if (!(await this.compliance.isMember(command.orgId, command.userId))) {
      throw new AppError('not_found', 'USER_NOT_FOUND', 'User not found');
    }
    const now = this.clock.now();
    await this.orgs.execute(
      command.orgId,
      (state) =>
        decideGrantExemption(
          state,
          { orgId: command.orgId, userId: command.userId, reason: command.reason, expiresAt: command.expiresAt, actorId: command.meta.actorId },
          now,
        ),
      command.meta,
      () => now,
    );
  }
}
