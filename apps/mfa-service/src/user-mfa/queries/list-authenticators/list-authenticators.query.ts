import { Query } from '@nestjs/cqrs';
import type { Principal } from '@mfa/auth';
import type { AuthenticatorView } from '../../domain/authenticators';

export class ListAuthenticatorsQuery extends Query<AuthenticatorView[]> {
  constructor(
    readonly caller: Principal,
    /** A member's list (admin authority rules); undefined: the caller's own. */
    readonly memberId?: string,
  ) {
    super();
  }
}
