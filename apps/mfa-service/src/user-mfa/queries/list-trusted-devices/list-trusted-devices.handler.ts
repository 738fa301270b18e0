import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { TrustedDeviceView, trustedDeviceViews } from '../../factors/trusted-device/domain/trusted-devices';
import { OrgPolicyReader } from '../../infra/org-policy.reader';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { ListTrustedDevicesQuery } from './list-trusted-devices.query';

@QueryHandler(ListTrustedDevicesQuery)
export class ListTrustedDevicesHandler implements IQueryHandler<ListTrustedDevicesQuery, TrustedDeviceView[]> {
  constructor(
    private readonly users: UserMfaRepository,
    private readonly policies: OrgPolicyReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ caller }: ListTrustedDevicesQuery): Promise<TrustedDeviceView[]> {
    const now = this.clock.now();
    const [{ state }, { policy }] = await Promise.all([this.users.load(caller.userId), this.policies.forUserCached(caller, now)]);
    // Expiry as of the policy now: a lowered rememberDeviceDays shows (and applies) at once.
    return trustedDeviceViews(state, policy.rememberDeviceDays, now);
  }
}
