import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@mfa/common';
import { AuthenticatorView, authenticatorViews } from '../../domain/authenticators';
import { MemberAuthority } from '../../infra/member-authority';
import { UserMfaRepository } from '../../infra/user-mfa.repository';
import { ListAuthenticatorsQuery } from './list-authenticators.query';

@QueryHandler(ListAuthenticatorsQuery)
export class ListAuthenticatorsHandler implements IQueryHandler<ListAuthenticatorsQuery, AuthenticatorView[]> {
  constructor(
    private readonly users: UserMfaRepository,
    private readonly authority: MemberAuthority,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ caller, memberId }: ListAuthenticatorsQuery): Promise<AuthenticatorView[]> {
    const userId = memberId ?? caller.userId;
    if (memberId !== undefined && memberId !== caller.userId) await this.authority.assert(caller, memberId, this.clock.now(), { change: false });
    return authenticatorViews((await this.users.load(userId)).state);
  }
}
