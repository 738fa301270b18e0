import type { Collection } from 'mongodb';
import { memberKey } from '../../membership/org-member.document';
import type { Exemption } from '../domain/org-policy';
import { exemptionChangeKey, ExemptionChangeDocument } from './org-policy.document';

/**
 * One member's exemption from an org's MFA enforcement (key: memberKey(orgId, userId)), outside
 * the policy document so an org can exempt any number of members. Written only from a committed
 * exemption change (OrgExemptions.apply), never ahead of its event.
 */
export const ORG_EXEMPTIONS_COLLECTION = 'org_exemptions';

export interface OrgExemptionDocument {
  _id: string;
  orgId: string;
  userId: string;
  reason: string;
  /** As granted (null only on exemptions granted before MFA_EXEMPTION_MAX_DAYS existed). */
  expiresAt: Date | null;
  grantedBy: string;
  grantedAt: Date;
  /** The policy version whose change wrote this: an older change never overwrites it. */
  revision: number;
  /** When it stops counting: `expiresAt` (FAR_FUTURE for none), or the revocation time. Queried by; deleted a day after it (TTL). */
  activeUntil: Date;
  /** Set on a revoked exemption, kept a day (the TTL) so a late older change cannot bring it back. */
  revokedAt?: Date;
}

export const exemptionKey = memberKey;

/** `activeUntil` of an exemption without expiry. */
export const FAR_FUTURE = new Date('9999-12-31T23:59:59.999Z');

const asExemption = (doc: Pick<OrgExemptionDocument, 'userId' | 'reason' | 'expiresAt' | 'grantedBy' | 'grantedAt' | 'revokedAt'> | null): Exemption | null =>
  doc && !doc.revokedAt
    ? { userId: doc.userId, reason: doc.reason, expiresAt: doc.expiresAt ?? null, grantedBy: doc.grantedBy, grantedAt: doc.grantedAt }
    : null;

/** One member's stored exemption: a point read by `_id` (revoked ones read as none). */
export async function storedExemption(exemptions: Collection<OrgExemptionDocument>, orgId: string, userId: string): Promise<Exemption | null> {
  return asExemption(await exemptions.findOne({ _id: exemptionKey(orgId, userId) }));
}

/** Some members' stored exemptions in one indexed read (`_id` `$in`); a member without one maps to null. */
export async function storedExemptions(exemptions: Collection<OrgExemptionDocument>, orgId: string, userIds: string[]): Promise<Map<string, Exemption | null>> {
  const found = userIds.length === 0 ? [] : await exemptions.find({ _id: { $in: userIds.map((userId) => exemptionKey(orgId, userId)) } }).toArray();
  const byUser = new Map(found.map((doc) => [doc.userId, asExemption(doc)]));
  return new Map(userIds.map((userId) => [userId, byUser.get(userId) ?? null]));
}

/** A member's exemption as a policy document shows it: their pending change when there is one, else undefined (read the collection). */
export function pendingIn(changes: Record<string, ExemptionChangeDocument> | undefined, userId: string): { exemption: Exemption | null } | undefined {
  const change = changes?.[exemptionChangeKey(userId)];
  return change ? { exemption: change.exemption } : undefined;
}
