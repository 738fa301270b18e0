import { Query } from '@nestjs/cqrs';
import type { Principal } from '@mfa/auth';
import type { MfaMethodInfo } from '../../domain/mfa-methods';

export class GetMfaMethodsQuery extends Query<MfaMethodInfo[]> {
  constructor(readonly principal: Principal) {
    super();
  }
}
