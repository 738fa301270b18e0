import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import { isOrgAdmin, principalOf } from '@mfa/auth';
import { AppError, Unauthorized } from '@mfa/common';
import type { Request } from 'express';

/**
 * Org policy is read and changed only by an ADMINISTRATOR or OWNER of the caller's own org.
 * A guard, so the role is checked before the body is validated.
 */
@Injectable()
export class OrgAdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = principalOf(context.switchToHttp().getRequest<Request>());
    if (!principal) throw Unauthorized();
    if (!principal.orgId) {
      throw new AppError('validation', 'NO_ORGANIZATION', 'User not associated with an organization');
    }
    if (!isOrgAdmin(principal)) {
      throw new AppError('forbidden', 'FORBIDDEN', 'Insufficient permissions. OWNER or ADMINISTRATOR role required.');
    }
    return true;
  }
}

/** The organization an OrgAdminGuard-protected route administers: always the caller's own. */
export const AdminOrgId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const orgId = principalOf(context.switchToHttp().getRequest<Request>())?.orgId;
  if (!orgId) throw Unauthorized();
  return orgId;
});
