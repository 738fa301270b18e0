import type { MfaMethod } from '../domain/mfa-method';

export const USER_MFA_COLLECTION = 'user_mfa';

/** The stored shape of one user's MFA state (key: userId). Fields are added by the factor use cases. */
export interface UserMfaDocument {
  _id: string;
  orgId: string | null;
  enabledMethods: MfaMethod[];
  primaryMethod: MfaMethod | null;
  backupCodes?: Array<{ hash: string; usedAt: Date | null }>;
  version: number;
}
