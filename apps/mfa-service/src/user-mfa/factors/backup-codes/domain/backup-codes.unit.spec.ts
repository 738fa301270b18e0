import { decider } from '../../../../../../../test/harness/decider-spec';
import { at, subject, t0, totpEnabled } from '../../../../../../../test/harness/user-mfa-fixtures';
import { backupCodeLogin } from './backup-codes.login';
import { decideRegenerateBackupCodes } from './backup-codes.setup';

describe('backup codes: regenerate', () => {
  it('given an enabled method, when regenerated, then every old code is replaced, unused, and BackupCodesRegenerated counts them', () => {
    const before = totpEnabled();
    expect(before.backupCodes.map((c) => c.hash)).toEqual(['h1', 'h2', 'h3']);
    const { state } = decider(decideRegenerateBackupCodes)
      .given(before)
      .when({ ...subject, backupCodeHashes: ['n1', 'n2'] }, at(60_000))
      .then([{ type: 'BackupCodesRegenerated', data: { userId: 'user-1', orgId: 'org-1', count: 2 } }]);
    expect(state.backupCodes).toEqual([
      { hash: 'n1', usedAt: null },
      { hash: 'n2', usedAt: null },
    ]);
    expect(state.backupCodesGeneratedAt).toEqual(at(60_000));
  });

  it('given no enabled method, when regenerated, then 400 METHOD_NOT_ENABLED (backup codes are a way back into MFA, not a factor)', () => {
    decider(decideRegenerateBackupCodes)
      .given(null)
      .when({ ...subject, backupCodeHashes: ['n1'] }, t0)
      .thenThrows({ kind: 'validation', code: 'METHOD_NOT_ENABLED' });
  });
});

describe('backup codes: login check', () => {
  it('a matching unused code is consumed (single use); no match or a used one is invalid_code and changes nothing', () => {
    const state = totpEnabled();
    expect(backupCodeLogin.canPresent(state)).toBe(true);
    const used = backupCodeLogin.check(state, { method: 'BACKUP_CODE', findUnused: (codes) => codes.findIndex((c) => c.hash === 'h2') }, at(1000));
    expect(used).toMatchObject({ ok: true, authenticatorId: 'backup-codes', assurance: { acr: 'aal2', amr: ['otp'] } });
    expect(used.state.backupCodes).toEqual([
      { hash: 'h1', usedAt: null },
      { hash: 'h2', usedAt: at(1000) },
      { hash: 'h3', usedAt: null },
    ]);
    const again = backupCodeLogin.check(used.state, { method: 'BACKUP_CODE', findUnused: () => 1 }, at(2000));
    expect(again).toEqual({ ok: false, reason: 'invalid_code', state: used.state });
    expect(backupCodeLogin.check(state, { method: 'BACKUP_CODE', findUnused: () => -1 }, at(2000))).toEqual({ ok: false, reason: 'invalid_code', state });
  });

  it('cannot be presented without an enabled method or without an unused code', () => {
    const state = totpEnabled();
    expect(backupCodeLogin.canPresent({ ...state, enabledMethods: [] })).toBe(false);
    expect(backupCodeLogin.canPresent({ ...state, backupCodes: state.backupCodes.map((c) => ({ ...c, usedAt: t0 })) })).toBe(false);
  });
});
