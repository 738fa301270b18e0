import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { CommitResult, ConcurrencyConflict } from '@mfa/persistence';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../../infra/root-logger';
import { ComplianceReader } from '../../../membership/compliance.reader';
import { decideEnforcement, OrgPolicyState, weakensPolicy } from '../../domain/org-policy';
import { StepUpPolicy } from '../../../user-mfa/infra/step-up.policy';
import { EnforcementScheduler } from '../../enforcement/enforcement.scheduler';
import { OrgExemptions } from '../../infra/org-exemptions';
import { OrgPolicyRepository } from '../../infra/org-policy.repository';
import { EnforceOrgMfaCommand, EnforceOrgMfaResult } from './enforce-org-mfa.command';

@CommandHandler(EnforceOrgMfaCommand)
export class EnforceOrgMfaHandler implements ICommandHandler<EnforceOrgMfaCommand, EnforceOrgMfaResult> {
  private readonly log: Logger;

  constructor(
    private readonly orgs: OrgPolicyRepository,
    private readonly compliance: ComplianceReader,
    private readonly exemptions: OrgExemptions,
    private readonly scheduler: EnforcementScheduler,
    private readonly stepUp: StepUpPolicy,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'enforce-org-mfa' });
  }

  async execute(command: EnforceOrgMfaCommand): Promise<EnforceOrgMfaResult> {
    const now = this.clock.now();
    // Read once up front, so the rule below holds on whatever state the write finally decides on.
    const adminRefusal = await this.stepUp.adminRefusal(command.actor, now);
    const decide = (state: OrgPolicyState | null, affectedUsers: number) => {
      const decision = decideEnforcement(
        state,
        {
          orgId: command.orgId,
          enforced: command.enforced,
          gracePeriodDays: command.gracePeriodDays,
          allowedMethods: command.allowedMethods,
          rememberDeviceDays: command.rememberDeviceDays,
          actorId: command.meta.actorId,
          affectedUsers,
        },
        now,
      );
      // Lowering security (lift, longer grace, more methods) needs the admin's own MFA and step-up.
      if (adminRefusal && weakensPolicy(state, decision.state)) throw adminRefusal;
      return decision;
    };
    // One load: decide on it first, so a no-op repeat costs no member count and no write.
    const loaded = await this.orgs.load(command.orgId);
    const probe = decide(loaded.state, 0);
    if (probe.events.length === 0) return { enforced: probe.state.enforced, changed: false };
    const affectedUsers = probe.state.enforced
      ? (await this.compliance.counts(command.orgId, await this.exemptions.forCompliance(command.orgId, probe.state.allowedMethods, now))).pending
      : 0;

    let result: CommitResult<OrgPolicyState>;
    try {
      const decision = decide(loaded.state, affectedUsers);
      const events = await this.orgs.commit(command.orgId, loaded, decision, command.meta, now);
      result = { state: decision.state, events, version: loaded.version + 1 };
    } catch (error) {
      if (!(error instanceof ConcurrencyConflict)) throw error;
      // Another admin changed the policy meanwhile: the store reloads and decides again (the count is informational).
      result = await this.orgs.execute(command.orgId, (state) => decide(state, affectedUsers), command.meta, now);
    }

    const enforced = result.events.find((event) => event.type === 'OrgMfaEnforced');
    if (enforced) {
      // The fan-out runs in the background; if this fails the scheduler's next pass creates it.
      await this.scheduler
        .enforcementChanged(
          command.orgId,
          result.state.enforcementRevision,
          { correlationId: enforced.correlationId, causationId: enforced.id },
          result.state.enforcementDeadline,
        )
        .catch((error: unknown) => this.log.warn({ orgId: command.orgId, error: (error as Error)?.message }, 'fan-out not started; the scheduler will'));
    }
    return { enforced: result.state.enforced, changed: result.events.length > 0 };
  }
}
