import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { ActiveMembership, ActiveMembershipsReader, TokenMembership } from '../../membership/active-memberships.reader';
import { ORG_EXEMPTIONS_COLLECTION, OrgExemptionDocument, pendingIn, storedExemption } from '../../org-policy/infra/org-exemption.document';
import { ORG_POLICY_COLLECTION, OrgPolicyDocument } from '../../org-policy/infra/org-policy.document';
import { OrgPolicyReadCache, OrgPolicyView } from '../../org-policy/infra/org-policy.read-cache';
import type { OrgPolicySnapshot } from '../domain/mfa-status';
import type { MfaMethod } from '../domain/mfa-method';
import { allowedAtLogin, userPolicyOf, UserPolicy } from '../domain/user-policy';

/** One user's view of an org's policy: their own exemption (read by the caller), if any. */
export function policySnapshotFor(view: OrgPolicyView | null, exemption: { expiresAt: Date | null } | null): OrgPolicySnapshot | null {
  if (!view) return null;
  return {
    enforced: view.enforced,
    enforcementDeadline: view.enforcementDeadline,
    allowedMethods: view.allowedMethods,
    exemption: exemption ? { expiresAt: exemption.expiresAt } : null,
    rememberDeviceDays: view.rememberDeviceDays ?? 0,
  };
}

export interface UserPolicyRead {
  policy: UserPolicy;
  memberships: ActiveMembership[];
}

/** Who is asking: the user, and the organization and role their token shows (one more membership). */
export interface PolicySubject {
  userId: string;
  orgId: string | null;
  orgRole?: number | null;
}

/**
 * The policies binding one user's factors: every organization they actively belong to (the
 * membership read model plus the token's `orgId`). Commands read the database (`forUser`);
 * the queries and verify-login may read memberships and org policies through the per-process caches
 * (`forUserCached`; its bound: docs/trust-model.md, "Cached reads on verify-login").
 */
@Injectable()
export class OrgPolicyReader {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly cache: OrgPolicyReadCache,
    private readonly memberships: ActiveMembershipsReader,
  ) {}

  forUser(subject: PolicySubject, now: Date): Promise<UserPolicyRead> {
    return this.read(
      subject,
      now,
      false,
      (orgId) => this.connection.collection<OrgPolicyDocument>(ORG_POLICY_COLLECTION).findOne({ _id: orgId }) as Promise<OrgPolicyView | null>,
    );
  }

  forUserCached(subject: PolicySubject, now: Date): Promise<UserPolicyRead> {
    return this.read(subject, now, true, (orgId) => this.cache.get(orgId));
  }

  /**
   * verify-login with a token organization and no device to remember or accept: that organization
   * alone decides whether the method may be used (docs/trust-model.md), so only its policy is read
   * (cached) — plus the user's exemption there only where it can change the answer (the
   * organization enforces MFA and excludes the method). The policy returned is that one organization's.
   */
  async forLoginInCached(userId: string, orgId: string, method: MfaMethod | 'BACKUP_CODE', now: Date): Promise<UserPolicy> {
    const view = await this.cache.get(orgId);
    const notExempt = userPolicyOf([{ orgId, policy: policySnapshotFor(view, null) }], now);
    if (allowedAtLogin(notExempt, orgId, method)) return notExempt;
    const exemption = await this.exemptionOf(view, orgId, userId, true);
    return userPolicyOf([{ orgId, policy: policySnapshotFor(view, exemption) }], now);
  }

  private async read(subject: PolicySubject, now: Date, cached: boolean, policyOf: (orgId: string) => Promise<OrgPolicyView | null>): Promise<UserPolicyRead> {
    const token: TokenMembership = { orgId: subject.orgId, role: subject.orgRole ?? null };
    const memberships = await (cached ? this.memberships.ofCached(subject.userId, token, now) : this.memberships.of(subject.userId, token, now));
    const views = await Promise.all(memberships.map((m) => policyOf(m.orgId)));
    const exemptions = await Promise.all(memberships.map((m, i) => this.exemptionOf(views[i], m.orgId, subject.userId, cached)));
    const policy = userPolicyOf(
      memberships.map((m, i) => ({ orgId: m.orgId, policy: policySnapshotFor(views[i], exemptions[i]) })),
      now,
    );
    return { policy, memberships };
  }

  /**
   * The user's exemption in one org: only where it enforces (elsewhere it changes nothing), their
   * change still pending in the policy if any, else one `_id` read of their exemption document
   * (through the per-process cache on the query path).
   */
  private async exemptionOf(view: OrgPolicyView | null, orgId: string, userId: string, cached: boolean): Promise<{ expiresAt: Date | null } | null> {
    if (!view?.enforced) return null;
    const pending = pendingIn(view.exemptionChanges, userId);
    if (pending) return pending.exemption;
    if (cached) return this.cache.exemption(orgId, userId);
    return storedExemption(this.connection.collection<OrgExemptionDocument>(ORG_EXEMPTIONS_COLLECTION), orgId, userId);
  }
}
