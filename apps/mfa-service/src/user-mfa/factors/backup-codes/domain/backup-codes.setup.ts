import type { Decision } from '@mfa/common/domain/decision';
import { load, methodNotEnabled, orgOf, Subject, UserMfaState } from '../../../domain/user-mfa';

/**
 * Replaces every backup code with a fresh set (the old ones stop working at once). Only for a
 * user with an enabled method: backup codes are a way back into MFA, not a factor of their own.
 */
export function decideRegenerateBackupCodes(
  current: UserMfaState | null,
  command: Subject & { backupCodeHashes: string[] },
  now: Date,
): Decision<UserMfaState> {
  const state = load(current, command);
  if (state.enabledMethods.length === 0) throw methodNotEnabled();
  return {
    state: { ...state, backupCodes: command.backupCodeHashes.map((hash) => ({ hash, usedAt: null })), backupCodesGeneratedAt: now },
    events: [{ type: 'BackupCodesRegenerated', data: { userId: command.userId, orgId: orgOf(state, command), count: command.backupCodeHashes.length } }],
  };
}
