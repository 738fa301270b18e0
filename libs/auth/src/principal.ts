/** Organization roles as the identity service encodes them in the `orgRole` claim. */
export enum OrgRole {
  USER = 0,
  BILLING = 1,
  WORKSPACES = 2,
  ADMINISTRATOR = 254,
  OWNER = 255,
}

/** Who is calling, as proven by a verified bearer token. */
export interface Principal {
  userId: string;
  orgId: string | null;
  orgRole: number | null;
  email: string | null;
  /** Authentication methods references (RFC 8176) from the token, e.g. ["pwd", "otp"]. */
  amr: string[];
  /**
   * When the user last authenticated (seconds since epoch): the OIDC `auth_time` claim only. A
   * refreshed token keeps its `auth_time` (and its `iat` moves), so `iat` never stands in for it.
   */
  authTime: number | null;
  /** The identity service's session id (`sid`): what a verify-login proves step-up for. */
  sessionId: string | null;
}

export function isOrgAdmin(principal: Principal): boolean {
  return principal.orgRole === OrgRole.ADMINISTRATOR || principal.orgRole === OrgRole.OWNER;
}
