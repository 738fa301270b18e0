export const ORG_MEMBERS_COLLECTION = 'org_members';
export const MEMBERSHIP_VERSIONS_COLLECTION = 'membership_versions';
export const DELETED_USERS_COLLECTION = 'membership_deleted_users';
export const MEMBERSHIP_INBOX_COLLECTION = 'membership_inbox';

/** Read model of who belongs to which organization (from tokens and identity membership events). */
export interface OrgMemberDocument {
  _id: string; // memberKey(orgId, userId)
  orgId: string;
  userId: string;
  role: number | null;
  source: 'token' | 'event';
  /** This organization manages the user's account (identity event flag `managed: true`). */
  managed?: boolean;
  joinedAt: Date;
  lastSeenAt: Date;
  /** Time of the membership event last applied (absent when only seen through tokens). */
  membershipUpdatedAt?: Date;
}

/** Time of the last membership event applied per (org, user); outlives the member document. */
export interface MembershipVersionDocument {
  _id: string; // memberKey(orgId, userId)
  orgId: string;
  userId: string;
  membershipUpdatedAt: Date;
}

/** Users the identity service deleted: older membership events for them are ignored. */
export interface DeletedUserDocument {
  _id: string; // userId
  deletedAt: Date;
}

/**
 * The member document key. Each id is percent-encoded (so neither contains `:`) before joining:
 * `a:b` in `c` and `a` in `b:c` cannot collide, whatever characters the ids contain. Plain ids
 * (letters, digits, `-_.!~*'()`) keep the key they had when it was a bare `${orgId}:${userId}`.
 */
export const memberKey = (orgId: string, userId: string): string => `${encodeURIComponent(orgId)}:${encodeURIComponent(userId)}`;

/** The key written before it was collision-free (what the start-up migration looks for). */
export const legacyMemberKey = (orgId: string, userId: string): string => `${orgId}:${userId}`;
