import { Query } from '@nestjs/cqrs';
import type { Principal } from '@mfa/auth';
import type { TrustedDeviceView } from '../../factors/trusted-device/domain/trusted-devices';

export class ListTrustedDevicesQuery extends Query<TrustedDeviceView[]> {
  constructor(readonly caller: Principal) {
    super();
  }
}
