import type { LoginPresenter } from '../login-presenter';
import type { BackupCodeLoginFactor } from './domain/backup-codes.login';
import type { BackupCodes } from './backup-codes';

export const backupCodeLoginPresenter = (backupCodes: BackupCodes): LoginPresenter<BackupCodeLoginFactor> => ({
  present: async ({ code }) => ({ method: 'BACKUP_CODE', findUnused: (codes) => backupCodes.findMatch(code, codes) }),
});
