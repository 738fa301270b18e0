import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { CLOCK, Clock } from '@mfa/common';
import { JoinCause, MemberJoined } from '../../membership/member-joined';
import { OrgPolicyRepository } from '../infra/org-policy.repository';
import { MemberNoticeWriter } from './member-notices.writer';

/**
 * A member who joins an organization that already enforces MFA is told like the members the
 * fan-out reached (`UserMfaSetupRequired`, once per deadline thanks to the same marker), unless
 * they already have an allowed method or an exemption. The deadline notice follows from the
 * deadline job when it runs after they joined.
 */
@Injectable()
export class NewMemberNotifier implements OnModuleInit {
  constructor(
    private readonly joined: MemberJoined,
    private readonly orgs: OrgPolicyRepository,
    private readonly writer: MemberNoticeWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.joined.subscribe((orgId, userId, cause) => this.notify(orgId, userId, cause));
  }

  private async notify(orgId: string, userId: string, cause: JoinCause): Promise<void> {
    const { state } = await this.orgs.load(orgId);
    if (!state?.enforced) return;
    await this.writer.notify('setup-required', state, [userId], { ...cause, actorId: 'mfa-service', actorType: 'system' }, this.clock.now());
  }
}
