import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { ORG_POLICY_COLLECTION, OrgPolicyDocument } from '../../org-policy/infra/org-policy.document';
import { OrgPolicyReadCache, OrgPolicyView } from '../../org-policy/infra/org-policy.read-cache';
import { MFA_METHODS, MfaMethod } from '../domain/mfa-method';
import { isExempt, OrgPolicySnapshot } from '../domain/mfa-status';

export interface UserPolicyView {
  /** The organization enforces MFA and the user is not exempt. */
  enforced: boolean;
  /** Methods the organization allows while it enforces MFA (all when it does not). */
  allowedMethods: MfaMethod[];
}

const NO_POLICY: UserPolicyView = { enforced: false, allowedMethods: [...MFA_METHODS] };

/** One user's view of their org's policy: their own exemption, if any, instead of the whole list. */
export function policySnapshotFor(view: OrgPolicyView | null, userId: string): OrgPolicySnapshot | null {
  if (!view) return null;
  const exemption = (view.exemptions ?? []).find((e) => e.userId === userId);
  return {
    enforced: view.enforced,
    enforcementDeadline: view.enforcementDeadline,
    allowedMethods: view.allowedMethods,
    exemption: exemption ? { expiresAt: exemption.expiresAt } : null,
  };
}

/**
 * What the user's organization policy means for one user (read side of org_policies).
 * Commands read the database (`forUser`); the queries may read through the cache (`forUserCached`).
 */
@Injectable()
export class OrgPolicyReader {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly cache: OrgPolicyReadCache,
  ) {}

  async forUser(orgId: string | null, userId: string, now: Date): Promise<UserPolicyView> {
    if (!orgId) return NO_POLICY;
    return this.interpret(await this.connection.collection<OrgPolicyDocument>(ORG_POLICY_COLLECTION).findOne({ _id: orgId }), userId, now);
  }

  async forUserCached(orgId: string | null, userId: string, now: Date): Promise<UserPolicyView> {
    if (!orgId) return NO_POLICY;
    return this.interpret(await this.cache.get(orgId), userId, now);
  }

  private interpret(view: OrgPolicyView | null, userId: string, now: Date): UserPolicyView {
    const snapshot = policySnapshotFor(view, userId);
    if (!snapshot) return NO_POLICY;
    return {
      enforced: !!snapshot.enforced && !isExempt(snapshot, now),
      allowedMethods: snapshot.enforced && snapshot.allowedMethods ? snapshot.allowedMethods : [...MFA_METHODS],
    };
  }
}
