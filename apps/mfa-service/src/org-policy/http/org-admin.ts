import { CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { isOrgAdmin, principalOf } from '@mfa/auth';
import { AppError, CLOCK, Clock, Unauthorized } from '@mfa/common';
import type { Request } from 'express';
import { ActiveMembershipsReader } from '../../membership/active-memberships.reader';
import { isAdminRole } from '../../user-mfa/domain/admin-authority';

const forbidden = () => new AppError('forbidden', 'FORBIDDEN', 'Insufficient permissions. OWNER or ADMINISTRATOR role required.');

/**
 * Org policy is read and changed only by an ADMINISTRATOR or OWNER of the caller's own org.
 * A guard, so the role is checked before the body is validated. The token's role first; then,
 * when the identity service's events confirmed the membership, its role wins (a demoted admin's
 * token that has not expired yet administers nothing). Memberships are read through the
 * per-process cache: a downgrade processed by this instance applies at once, one processed by
 * another instance within MEMBERSHIP_CACHE_TTL_MS.
 */
@Injectable()
export class OrgAdminGuard implements CanActivate {
  constructor(
    private readonly memberships: ActiveMembershipsReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const principal = principalOf(context.switchToHttp().getRequest<Request>());
    if (!principal) throw Unauthorized();
    if (!principal.orgId) {
      throw new AppError('validation', 'NO_ORGANIZATION', 'User not associated with an organization');
    }
    if (!isOrgAdmin(principal)) throw forbidden();
    const confirmed = (await this.memberships.ofCached(principal.userId, null, this.clock.now())).find(
      (m) => m.orgId === principal.orgId && m.source === 'event',
    );
    if (confirmed && !isAdminRole(confirmed.role)) throw forbidden();
    return true;
  }
}

/** The organization an OrgAdminGuard-protected route administers: always the caller's own. */
export const AdminOrgId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const orgId = principalOf(context.switchToHttp().getRequest<Request>())?.orgId;
  if (!orgId) throw Unauthorized();
  return orgId;
});
