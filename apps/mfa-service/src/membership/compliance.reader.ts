import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import type { MfaMethod } from '../user-mfa/domain/mfa-method';
import { USER_MFA_COLLECTION, UserMfaDocument } from '../user-mfa/infra/user-mfa.document';
import { memberKey, ORG_MEMBERS_COLLECTION, OrgMemberDocument } from './org-member.document';

export type ComplianceStatus = 'compliant' | 'pending' | 'exempt';

/**
 * What compliance needs to know of the policy: which methods count and who is exempt until when.
 * Exemptions are read as needed (an org may have 100,000): the ids in force in batches for the
 * counts, and a page's members in one `_id` `$in` read.
 */
export interface CompliancePolicy {
  allowedMethods: MfaMethod[];
  /** User ids of the exemptions in force, in batches. */
  exemptUserIds(): AsyncIterable<string[]>;
  /** The exemptions in force among these members: userId → expiry (null: none). */
  exemptionsOf(userIds: string[]): Promise<Map<string, Date | null>>;
}

export interface ComplianceCounts {
  total: number;
  compliant: number;
  pending: number;
  exempt: number;
}

/**
 * How many factors of each kind a member has enabled, so an admin can find, e.g., members whose
 * only factor is their email address (which NIST does not accept as an authenticator).
 */
export interface MethodCounts {
  passkeys: number;
  authenticatorApps: number;
  emailAddresses: number;
  backupCodesRemaining: number;
}

const NO_METHODS: MethodCounts = { passkeys: 0, authenticatorApps: 0, emailAddresses: 0, backupCodesRemaining: 0 };

function methodCountsOf(user: Pick<UserMfaDocument, 'enabledMethods' | 'passkeyCredentialIds' | 'backupCodes'>): MethodCounts {
  const enabled = user.enabledMethods ?? [];
  return {
    passkeys: enabled.includes('PASSKEY') ? (user.passkeyCredentialIds ?? []).length : 0,
    authenticatorApps: enabled.includes('GOOGLE_AUTH') ? 1 : 0,
    emailAddresses: enabled.includes('MAGIC_LINK') ? 1 : 0,
    backupCodesRemaining: enabled.length > 0 ? (user.backupCodes ?? []).filter((c) => c.usedAt === null).length : 0,
  };
}

export interface MemberCompliance {
  userId: string;
  status: ComplianceStatus;
  isEnabled: boolean;
  enabledMethods: MfaMethod[];
  methodCounts: MethodCounts;
  exempt: boolean;
  exemptUntil: string | null;
}

export interface MemberPage {
  items: MemberCompliance[];
  nextCursor: string | null;
}

/** Members scanned per request at most when filtering, so one call stays bounded. */
const MAX_SCAN = 5_000;
const SCAN_BATCH = 500;
/** Members whose exemptions one count step reads (one `_id` `$in` read). */
const MEMBER_PAGE = 1_000;
/** Up to this many members, the counts read each member's exemption instead of the org's exemptions. */
const MEMBER_WALK_MAX = 2_000;

/**
 * Answers "who in this org has MFA, who is pending, who is exempt" from the member read
 * model and the users' MFA documents (no joins: FerretDB has no $lookup).
 */
@Injectable()
export class ComplianceReader {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  private members() {
    return this.connection.collection<OrgMemberDocument>(ORG_MEMBERS_COLLECTION);
  }

  private users() {
    return this.connection.collection<UserMfaDocument>(USER_MFA_COLLECTION);
  }

  async isMember(orgId: string, userId: string): Promise<boolean> {
    return (await this.members().countDocuments({ _id: memberKey(orgId, userId) }, { limit: 1 })) > 0;
  }

  async counts(orgId: string, policy: CompliancePolicy): Promise<ComplianceCounts> {
    const withAllowed = { orgId, enabledMethods: { $in: policy.allowedMethods } };
    const [total, withMethod] = await Promise.all([this.members().countDocuments({ orgId }), this.users().countDocuments(withAllowed)]);
    // Exempt members count as exempt, not compliant: subtracted batch by batch (no 100,000-id `$nin`).
    // A small org is walked member by member (one `_id` read each), so an org with 100,000 exemptions
    // and few members never reads them all; a large one pages through its exemptions.
    let exemptMembers = 0;
    let exemptWithMethod = 0;
    const batches = total <= MEMBER_WALK_MAX ? this.exemptMembers(orgId, policy) : policy.exemptUserIds();
    for await (const exemptIds of batches) {
      const [members, users] = await Promise.all([
        this.members().countDocuments({ orgId, userId: { $in: exemptIds } }),
        this.users().countDocuments({ ...withAllowed, _id: { $in: exemptIds } }),
      ]);
      exemptMembers += members;
      exemptWithMethod += users;
    }
    const compliant = withMethod - exemptWithMethod;
    return { total, compliant, exempt: exemptMembers, pending: Math.max(0, total - compliant - exemptMembers) };
  }

  /** The exempt members, found member by member. */
  private async *exemptMembers(orgId: string, policy: CompliancePolicy): AsyncGenerator<string[]> {
    for (let after: string | undefined; ; ) {
      const page = await this.members()
        .find({ orgId, ...(after !== undefined ? { userId: { $gt: after } } : {}) }, { projection: { userId: 1 }, sort: { userId: 1 }, limit: MEMBER_PAGE })
        .toArray();
      if (page.length === 0) return;
      const exempt = await policy.exemptionsOf(page.map((m) => m.userId));
      if (exempt.size > 0) yield [...exempt.keys()];
      if (page.length < MEMBER_PAGE) return;
      after = page[page.length - 1].userId;
    }
  }

  /** Members ordered by user id, optionally filtered by status; `cursor` is the last user id seen. */
  async page(orgId: string, policy: CompliancePolicy, options: { status?: ComplianceStatus; cursor?: string; limit: number }): Promise<MemberPage> {
    const items: MemberCompliance[] = [];
    let cursor = options.cursor;
    let scanned = 0;
    for (;;) {
      const batch = await this.members()
        .find(
          { orgId, ...(cursor !== undefined ? { userId: { $gt: cursor } } : {}) },
          { projection: { userId: 1 }, sort: { userId: 1 }, limit: options.status ? SCAN_BATCH : options.limit + 1 },
        )
        .toArray();
      if (batch.length === 0) return { items, nextCursor: null };
      const userIds = batch.map((m) => m.userId);
      const [users, exempt] = await Promise.all([
        this.users()
          .find({ _id: { $in: userIds } }, { projection: { enabledMethods: 1, passkeyCredentialIds: 1, backupCodes: 1 } })
          .toArray(),
        policy.exemptionsOf(userIds),
      ]);
      const methodsByUser = new Map(users.map((u) => [u._id, u.enabledMethods ?? []]));
      const countsByUser = new Map(users.map((u) => [u._id, methodCountsOf(u)]));
      for (const userId of userIds) {
        scanned += 1;
        const enabledMethods = methodsByUser.get(userId) ?? [];
        const exemptUntil = exempt.get(userId);
        const isExempt = exemptUntil !== undefined;
        const status: ComplianceStatus = isExempt ? 'exempt' : enabledMethods.some((m) => policy.allowedMethods.includes(m)) ? 'compliant' : 'pending';
        if (options.status && status !== options.status) {
          cursor = userId;
          continue;
        }
        if (items.length === options.limit) return { items, nextCursor: cursor ?? null };
        items.push({
          userId,
          status,
          isEnabled: enabledMethods.length > 0,
          enabledMethods,
          methodCounts: countsByUser.get(userId) ?? NO_METHODS,
          exempt: isExempt,
          exemptUntil: exemptUntil ? exemptUntil.toISOString() : null,
        });
        cursor = userId;
      }
      const exhausted = batch.length < (options.status ? SCAN_BATCH : options.limit + 1);
      if (exhausted) return { items, nextCursor: null };
      // A filtered scan that found nothing for long returns a cursor so the caller can go on.
      if (scanned >= MAX_SCAN) return { items, nextCursor: cursor ?? null };
    }
  }
}
