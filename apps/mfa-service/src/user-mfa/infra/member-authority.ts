import { Injectable } from '@nestjs/common';
import type { Principal } from '@mfa/auth';
import { ActiveMembershipsReader } from '../../membership/active-memberships.reader';
import { assertAdminAuthority, forbidden, isAdminRole } from '../domain/admin-authority';
import { subjectOf } from '../http/subject';
import { StepUpPolicy } from './step-up.policy';

const ROLE_MESSAGE = "Insufficient permissions. OWNER or ADMINISTRATOR role required to manage another user's authenticators.";

/**
 * An admin acting on a member's authenticators or trusted devices: the trust model's authority
 * rules (docs/trust-model.md §3), read the same way as an admin reset. Changes also need the
 * admin's own MFA and step-up (`change: true`); reading the list needs the authority only.
 * Returns every organization the member belongs to (for the events' `orgIds`).
 */
@Injectable()
export class MemberAuthority {
  constructor(
    private readonly memberships: ActiveMembershipsReader,
    private readonly stepUp: StepUpPolicy,
  ) {}

  /** `roleMessage`: what a caller below ADMINISTRATOR is told (each endpoint documents its own). */
  async assert(caller: Principal, targetId: string, now: Date, options: { change: boolean; roleMessage?: string }): Promise<string[]> {
    const roleMessage = options.roleMessage ?? ROLE_MESSAGE;
    // Role first (a plain member learns nothing about who exists).
    if (!isAdminRole(caller.orgRole)) throw forbidden(roleMessage);
    const [callerMemberships, targetMemberships] = await Promise.all([
      this.memberships.of(caller.userId, { orgId: caller.orgId, role: caller.orgRole }, now),
      // The target's memberships from the read model only: the caller's token says nothing about them.
      this.memberships.of(targetId, null, now),
    ]);
    const here = callerMemberships.find((m) => m.orgId === caller.orgId);
    // Identity events win over the token's claim (a demoted admin's old token keeps its role).
    const callerRole = here?.source === 'event' ? here.role : caller.orgRole;
    const orgIds = assertAdminAuthority({ callerOrgId: caller.orgId, callerRole, targetMemberships }, roleMessage);
    // Fail closed: an admin without MFA, or whose session proves no recent second factor, changes nothing.
    if (options.change) await this.stepUp.assertAdmin(subjectOf(caller), now);
    return orgIds;
  }
}
