export const ORG_MEMBERS_COLLECTION = 'org_members';

/** Read model of who belongs to which organization (from tokens and identity membership events). */
export interface OrgMemberDocument {
  _id: string; // `${orgId}:${userId}`
  orgId: string;
  userId: string;
  role: number | null;
  source: 'token' | 'event';
  joinedAt: Date;
  lastSeenAt: Date;
}

export const memberKey = (orgId: string, userId: string): string => `${orgId}:${userId}`;
