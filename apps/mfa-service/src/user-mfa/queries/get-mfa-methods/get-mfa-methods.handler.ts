import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectConnection } from '@nestjs/mongoose';
import { CLOCK, Clock } from '@mfa/common';
import type { Connection } from 'mongoose';
import { MFA_METHODS, MfaMethod } from '../../domain/mfa-method';
import { describeMfaMethods, MfaMethodInfo } from '../../domain/mfa-methods';
import type { MethodStatus } from '../../domain/user-mfa';
import { OrgPolicyReader } from '../../infra/org-policy.reader';
import { USER_MFA_COLLECTION, UserMfaDocument } from '../../infra/user-mfa.document';
import { GetMfaMethodsQuery } from './get-mfa-methods.query';

@QueryHandler(GetMfaMethodsQuery)
export class GetMfaMethodsHandler implements IQueryHandler<GetMfaMethodsQuery, MfaMethodInfo[]> {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly policies: OrgPolicyReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal }: GetMfaMethodsQuery): Promise<MfaMethodInfo[]> {
    const [user, { policy }] = await Promise.all([
      this.connection.collection<UserMfaDocument>(USER_MFA_COLLECTION).findOne({ _id: principal.userId }, { projection: { methods: 1, enabledMethods: 1 } }),
      this.policies.forUserCached(principal, this.clock.now()),
    ]);
    const statuses = Object.fromEntries(
      MFA_METHODS.map((m): [MfaMethod, MethodStatus] => [m, user?.methods?.[m]?.status ?? (user?.enabledMethods?.includes(m) ? 'enabled' : 'none')]),
    ) as Record<MfaMethod, MethodStatus>;
    return describeMfaMethods(statuses, policy.allowedMethods);
  }
}
