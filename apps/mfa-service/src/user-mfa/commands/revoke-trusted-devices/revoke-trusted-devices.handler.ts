import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { decideRevokeAllTrustedDevices, decideRevokeTrustedDevice } from '../../factors/trusted-device/domain/trusted-devices';
import { MemberAuthority } from '../../infra/member-authority';
import { OrgPolicyReader } from '../../infra/org-policy.reader';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { RevokeTrustedDevicesCommand } from './revoke-trusted-devices.command';

@CommandHandler(RevokeTrustedDevicesCommand)
export class RevokeTrustedDevicesHandler implements ICommandHandler<RevokeTrustedDevicesCommand, void> {
  constructor(
    private readonly users: UserMfaRepository,
    private readonly policies: OrgPolicyReader,
    private readonly authority: MemberAuthority,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ caller, target, meta }: RevokeTrustedDevicesCommand): Promise<void> {
    const now = this.clock.now();
    if ('deviceId' in target) {
      // Revoking only ever raises security: no step-up, so a user who lost a device can act at once.
      const { policy } = await this.policies.forUser(caller, now);
      await this.users.execute(
        caller.userId,
        (state) =>
          decideRevokeTrustedDevice(
            state,
            { userId: caller.userId, orgId: caller.orgId, deviceId: target.deviceId, rememberDeviceDays: policy.rememberDeviceDays },
            now,
          ),
        meta,
        now,
      );
      return;
    }
    await this.authority.assert(caller, target.memberId, now, { change: true });
    await this.users.execute(
      target.memberId,
      (state) => decideRevokeAllTrustedDevices(state, { userId: target.memberId, orgId: caller.orgId }, now),
      { ...meta, actorType: 'admin' },
      now,
    );
  }
}
