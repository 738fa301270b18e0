import { decider } from '../../../../../../../test/harness/decider-spec';
import { at, bad, hashes, ok, pending, sealed, subject, t0, totpEnabled } from '../../../../../../../test/harness/user-mfa-fixtures';
import { decideDisable, newUserMfa, PENDING_SETUP_TTL_MS } from '../../../domain/user-mfa';
import type { TotpCheck } from './totp.state';
import { decideStartTotpSetup, decideVerifyTotpSetup } from './totp.setup';

describe('UserMfa: TOTP setup', () => {
  it('given nothing, when setup starts, then GOOGLE_AUTH is pending with a 10-minute expiry and MfaMethodSetupStarted', () => {
    const { state, events } = decider(decideStartTotpSetup)
      .given(null)
      .when({ ...subject, secret: sealed, backupCodeHashes: hashes }, t0)
      .thenDecides();
    expect(state.methods.GOOGLE_AUTH).toEqual({ status: 'pending', configuredAt: null, enabledAt: null });
    expect(state.totp).toEqual({
      secret: sealed,
      lastUsedStep: null,
      pendingExpiresAt: at(PENDING_SETUP_TTL_MS),
      pendingBackupCodes: hashes.map((hash) => ({ hash, usedAt: null })),
      startedWithoutStepUp: true,
    });
    expect(state.enabledMethods).toEqual([]);
    expect(state.backupCodes).toEqual([]); // codes take effect only when the setup is verified
    expect(events).toEqual([{ type: 'MfaMethodSetupStarted', data: { userId: 'user-1', orgId: 'org-1', method: 'GOOGLE_AUTH' } }]);
  });

  it('given a pending setup, when setup starts again, then the new secret replaces the old one', () => {
    const other = { ...sealed, ciphertext: 'b3RoZXI=' };
    const { state } = decider(decideStartTotpSetup)
      .given(pending())
      .when({ ...subject, secret: other, backupCodeHashes: ['x'] }, at(60_000))
      .thenDecides();
    expect(state.totp?.secret).toEqual(other);
    expect(state.totp?.pendingExpiresAt).toEqual(at(60_000 + PENDING_SETUP_TTL_MS));
  });

  it('given GOOGLE_AUTH enabled, when setup starts, then 409 METHOD_ALREADY_ENABLED', () => {
    decider(decideStartTotpSetup)
      .given(totpEnabled())
      .when({ ...subject, secret: sealed, backupCodeHashes: hashes }, t0)
      .thenThrows({ kind: 'conflict', code: 'METHOD_ALREADY_ENABLED' });
  });

  it('given a membership-created state (orgId only), events carry the stored orgId when the request has none', () => {
    const { events } = decider(decideStartTotpSetup)
      .given(newUserMfa('user-1', 'org-9'))
      .when({ userId: 'user-1', orgId: null, secret: sealed, backupCodeHashes: [] }, t0)
      .thenDecides();
    expect(events[0].data).toMatchObject({ orgId: 'org-9' });
  });

  it('given a pending setup, when a valid code is verified, then enabled + primary, step stored, backup codes active', () => {
    const { state, events } = decider(decideVerifyTotpSetup)
      .given(pending())
      .when({ ...subject, check: ok(4242) }, at(1000))
      .thenDecides();
    expect(state.methods.GOOGLE_AUTH).toEqual({ status: 'enabled', configuredAt: at(1000), enabledAt: at(1000) });
    expect(state.enabledMethods).toEqual(['GOOGLE_AUTH']);
    expect(state.primaryMethod).toBe('GOOGLE_AUTH');
    expect(state.totp).toEqual({ secret: sealed, lastUsedStep: 4242, pendingExpiresAt: null, pendingBackupCodes: [] });
    expect(state.backupCodes).toEqual(hashes.map((hash) => ({ hash, usedAt: null })));
    expect(events).toEqual([
      { type: 'MfaMethodEnabled', data: { userId: 'user-1', orgId: 'org-1', method: 'GOOGLE_AUTH', isPrimary: true, enabledMethods: ['GOOGLE_AUTH'] } },
      { type: 'MfaPrimaryMethodChanged', data: { userId: 'user-1', orgId: 'org-1', method: 'GOOGLE_AUTH', previous: null } },
    ]);
  });

  it('the verifier is given the pending secret and the last used step', () => {
    const check = jest.fn<TotpCheck, [unknown]>(() => ({ ok: true, step: 1 }));
    decideVerifyTotpSetup(pending(), { ...subject, check }, t0);
    expect(check).toHaveBeenCalledWith(expect.objectContaining({ secret: sealed, lastUsedStep: null }));
  });

  it('given a pending setup, when the code is wrong, then 400 VERIFICATION_FAILED', () => {
    decider(decideVerifyTotpSetup)
      .given(pending())
      .when({ ...subject, check: bad }, t0)
      .thenThrows({ kind: 'validation', code: 'VERIFICATION_FAILED', message: 'MFA setup verification failed' });
  });

  it('given an expired pending setup, when verified, then 400 SETUP_EXPIRED (even with a valid code)', () => {
    decider(decideVerifyTotpSetup)
      .given(pending())
      .when({ ...subject, check: ok() }, at(PENDING_SETUP_TTL_MS))
      .thenThrows({ kind: 'validation', code: 'SETUP_EXPIRED', message: 'MFA setup verification failed' });
    expect(() => decideVerifyTotpSetup(pending(), { ...subject, check: ok() }, at(PENDING_SETUP_TTL_MS - 1))).not.toThrow();
  });

  it('given no pending setup (none, or already enabled), when verified, then 400 SETUP_NOT_PENDING', () => {
    decider(decideVerifyTotpSetup)
      .given(null)
      .when({ ...subject, check: ok() }, t0)
      .thenThrows({ kind: 'validation', code: 'SETUP_NOT_PENDING' });
    decider(decideVerifyTotpSetup)
      .given(totpEnabled())
      .when({ ...subject, check: ok() }, t0)
      .thenThrows({ kind: 'validation', code: 'SETUP_NOT_PENDING' });
  });

  it('given existing backup codes, when a new TOTP setup is verified, then the new codes replace them and BackupCodesRegenerated', () => {
    const disabled = decideDisable(totpEnabled(), { ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: false }, t0).state;
    const restarted = decideStartTotpSetup(disabled, { ...subject, secret: sealed, backupCodeHashes: ['n1', 'n2'] }, t0).state;
    const { state, events } = decider(decideVerifyTotpSetup)
      .given(restarted)
      .when({ ...subject, check: ok() }, t0)
      .thenDecides();
    expect(state.backupCodes).toEqual([
      { hash: 'n1', usedAt: null },
      { hash: 'n2', usedAt: null },
    ]);
    expect(events.map((e) => e.type)).toEqual(['MfaMethodEnabled', 'MfaPrimaryMethodChanged', 'BackupCodesRegenerated']);
    expect(events[2].data).toEqual({ userId: 'user-1', orgId: 'org-1', count: 2 });
  });
});
