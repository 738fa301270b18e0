import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { APP_CONFIG, AppConfig, AppError, CLOCK, Clock } from '@mfa/common';
import { StepUpPolicy } from '../../../user-mfa/infra/step-up.policy';
import { ComplianceReader } from '../../../membership/compliance.reader';
import { decideGrantExemption } from '../../domain/org-policy';
import { OrgExemptions } from '../../infra/org-exemptions';
import { GrantExemptionCommand } from './grant-exemption.command';

@CommandHandler(GrantExemptionCommand)
export class GrantExemptionHandler implements ICommandHandler<GrantExemptionCommand, void> {
  constructor(
    private readonly exemptions: OrgExemptions,
    private readonly compliance: ComplianceReader,
    private readonly stepUp: StepUpPolicy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: GrantExemptionCommand): Promise<void> {
    // Only members of the admin's own org: anyone else is "not found" (no cross-org existence leak).
    if (!(await this.compliance.isMember(command.orgId, command.userId))) {
      throw new AppError('not_found', 'USER_NOT_FOUND', 'User not found');
    }
    const now = this.clock.now();
    const grant = {
      orgId: command.orgId,
      userId: command.userId,
      reason: command.reason,
      expiresAt: command.expiresAt,
      maxExpiresAt: new Date(now.getTime() + this.config.trust.exemptionMaxMs),
      actorId: command.meta.actorId,
      revision: 0,
    };
    // The pure rules first (self-exemption, expiry cap), then the admin's own MFA and step-up:
    // an exemption lowers security, so a stolen admin password session alone cannot grant one.
    decideGrantExemption(null, null, grant, now);
    await this.stepUp.assertAdmin(command.actor, now);
    await this.exemptions.change(
      command.orgId,
      command.userId,
      (state, current, revision) => decideGrantExemption(state, current, { ...grant, revision }, now),
      command.meta,
      now,
    );
  }
}
