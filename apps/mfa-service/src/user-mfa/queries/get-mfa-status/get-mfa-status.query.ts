import { Query } from '@nestjs/cqrs';
import type { Principal } from '@mfa/auth';
import type { MfaStatus } from '../../domain/mfa-status';

export class GetMfaStatusQuery extends Query<MfaStatus> {
  constructor(readonly principal: Principal) {
    super();
  }
}
