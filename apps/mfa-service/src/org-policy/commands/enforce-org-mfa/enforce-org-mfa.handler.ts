import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { ComplianceReader } from '../../../membership/compliance.reader';
import { MFA_METHODS } from '../../../user-mfa/domain/mfa-method';
import { decideEnforcement } from '../../domain/org-policy';
import { OrgPolicyRepository } from '../../infra/org-policy.repository';
import { EnforceOrgMfaCommand, EnforceOrgMfaResult } from './enforce-org-mfa.command';

@CommandHandler(EnforceOrgMfaCommand)
export class EnforceOrgMfaHandler implements ICommandHandler<EnforceOrgMfaCommand, EnforceOrgMfaResult> {
  constructor(
    private readonly orgs: OrgPolicyRepository,
    private readonly compliance: ComplianceReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: EnforceOrgMfaCommand): Promise<EnforceOrgMfaResult> {
    const now = this.clock.now();
    const affectedUsers = command.enforced ? await this.countAffected(command, now) : 0;
    const result = await this.orgs.execute(
      command.orgId,
      (state) =>
        decideEnforcement(
          state,
          {
            orgId: command.orgId,
            enforced: command.enforced,
            gracePeriodDays: command.gracePeriodDays,
            allowedMethods: command.allowedMethods,
            actorId: command.meta.actorId,
            affectedUsers,
          },
          now,
        ),
      command.meta,
      () => now,
    );
    return { enforced: result.state.enforced, changed: result.events.length > 0 };
  }

  /** Members who would have to set up MFA under the requested policy (informational, for the event). */
  private async countAffected(command: EnforceOrgMfaCommand, now: Date): Promise<number> {
    const { state } = await this.orgs.load(command.orgId);
    const allowedMethods = command.allowedMethods ?? state?.allowedMethods ?? [...MFA_METHODS];
    const counts = await this.compliance.counts(command.orgId, { allowedMethods, exemptions: state?.exemptions ?? [] }, now);
    return counts.pending;
  }
}
