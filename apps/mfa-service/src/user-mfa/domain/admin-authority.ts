import { AppError } from '@mfa/common/errors/app-error';

/**
 * Authority of an admin over another user's factors (docs/trust-model.md): reset, removing an
 * authenticator, revoking trusted devices, reading a member's authenticators. Pure: the caller's
 * role and both users' active memberships are read by the infrastructure first.
 */
export const ADMINISTRATOR_ROLE = 254;
export const OWNER_ROLE = 255;

export interface MembershipFact {
  orgId: string;
  role: number | null;
  managed: boolean;
}

export interface AdminAuthorityInput {
  /** The organization the admin acts in (their token's). */
  callerOrgId: string | null;
  /** The admin's role there (identity events win over the token's claim). */
  callerRole: number | null;
  /** Every organization the target actively belongs to. */
  targetMemberships: MembershipFact[];
}

export const forbidden = (message = 'Insufficient permissions. OWNER or ADMINISTRATOR role required.'): AppError =>
  new AppError('forbidden', 'FORBIDDEN', message);
export const userNotFound = (): AppError => new AppError('not_found', 'USER_NOT_FOUND', 'User not found');
export const userManagedElsewhere = (): AppError =>
  new AppError('forbidden', 'USER_MANAGED_ELSEWHERE', "This user's MFA can only be changed by the organization that manages the account");

export const isAdminRole = (role: number | null): boolean => role === ADMINISTRATOR_ROLE || role === OWNER_ROLE;

/**
 * Checks, in this order: the caller is ADMINISTRATOR/OWNER (403 FORBIDDEN, `roleMessage`); the
 * target is an active member of the caller's organization (404 USER_NOT_FOUND, as for an unknown
 * user); the caller's role is strictly higher (403 FORBIDDEN); the target belongs to no other
 * organization unless the caller's one manages the account (403 USER_MANAGED_ELSEWHERE).
 * The admin's own MFA and step-up are checked after this (StepUpPolicy.assertAdmin).
 * Returns every organization the target belongs to (for the event's `orgIds`).
 */
export function assertAdminAuthority(input: AdminAuthorityInput, roleMessage?: string): string[] {
  if (!isAdminRole(input.callerRole)) throw forbidden(roleMessage);
  const here = input.callerOrgId ? input.targetMemberships.find((m) => m.orgId === input.callerOrgId) : undefined;
  if (!here) throw userNotFound();
  if ((input.callerRole ?? 0) <= (here.role ?? 0)) throw forbidden(roleMessage);
  const elsewhere = input.targetMemberships.some((m) => m.orgId !== here.orgId);
  if (elsewhere && !here.managed) throw userManagedElsewhere();
  return input.targetMemberships.map((m) => m.orgId);
}
