import type { Assurance, FactorLogin } from '../../../domain/login-factor';
import { BACKUP_CODES_AUTHENTICATOR_ID } from '../../../domain/authenticator-ids';
import type { StoredCode } from './backup-codes.state';

/** A backup code at login; `findUnused` compares it with the stored hashes (keyed, outside the domain). */
export interface BackupCodeLoginFactor {
  method: 'BACKUP_CODE';
  findUnused: (codes: readonly StoredCode[]) => number;
}

const assurance = (): Assurance => ({ acr: 'aal2', amr: ['otp'] });

export const backupCodeLogin: FactorLogin<BackupCodeLoginFactor> = {
  family: 'codes',
  canPresent: (state) => state.enabledMethods.length > 0 && state.backupCodes.some((c) => c.usedAt === null),
  assurance,
  check(state, factor, now) {
    const index = factor.findUnused(state.backupCodes);
    if (index < 0 || state.backupCodes[index].usedAt !== null) return { ok: false, reason: 'invalid_code', state };
    const backupCodes = state.backupCodes.map((code, i) => (i === index ? { ...code, usedAt: now } : code));
    return { ok: true, state: { ...state, backupCodes }, authenticatorId: BACKUP_CODES_AUTHENTICATOR_ID, assurance: assurance() };
  },
};
