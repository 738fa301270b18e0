import { decider } from '../../../../../test/harness/decider-spec';
import { at, hashes, ok, pending, sealed, subject, t0, totpEnabled, twoMethods } from '../../../../../test/harness/user-mfa-fixtures';
import { decideDisable, decideEnable, decideSetPrimary, newUserMfa, UserMfaState } from './user-mfa';
import { decideActivateMagicLink, decideRequestMagicLink } from '../factors/magic-link/domain/magic-link.setup';
import { decideCompletePasskeyRegistration, decideStartPasskeyRegistration } from '../factors/passkey/domain/passkey.setup';
import { decideReset } from './reset';
import { decideStartTotpSetup, decideVerifyTotpSetup } from '../factors/totp/domain/totp.setup';

describe('UserMfa: enable', () => {
  it('given a configured but disabled method, when enabled, then enabled again with MfaMethodEnabled', () => {
    const disabled = decideDisable(totpEnabled(), { ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: false }, t0).state;
    const { state, events } = decider(decideEnable)
      .given(disabled)
      .when({ ...subject, method: 'GOOGLE_AUTH' }, at(5000))
      .thenDecides();
    expect(state.methods.GOOGLE_AUTH).toEqual({ status: 'enabled', configuredAt: t0, enabledAt: at(5000) });
    expect(state.enabledMethods).toEqual(['GOOGLE_AUTH']);
    expect(state.primaryMethod).toBe('GOOGLE_AUTH');
    expect(events.map((e) => e.type)).toEqual(['MfaMethodEnabled', 'MfaPrimaryMethodChanged']);
  });

  it('given an enabled method, when enabled again, then a no-op without events', () => {
    const state = totpEnabled();
    expect(decideEnable(state, { ...subject, method: 'GOOGLE_AUTH' }, t0)).toEqual({ state, events: [] });
  });

  it('given a never configured or only pending method, when enabled, then 400 METHOD_NOT_CONFIGURED', () => {
    decider(decideEnable)
      .given(null)
      .when({ ...subject, method: 'PASSKEY' }, t0)
      .thenThrows({ kind: 'validation', code: 'METHOD_NOT_CONFIGURED' });
    decider(decideEnable)
      .given(pending())
      .when({ ...subject, method: 'GOOGLE_AUTH' }, t0)
      .thenThrows({ kind: 'validation', code: 'METHOD_NOT_CONFIGURED' });
  });

  it('a second enabled method is appended and does not take primary', () => {
    const state = twoMethods();
    expect(state.enabledMethods).toEqual(['GOOGLE_AUTH', 'PASSKEY']);
    expect(state.primaryMethod).toBe('GOOGLE_AUTH');
    const disabled: UserMfaState = {
      ...totpEnabled(),
      methods: { ...totpEnabled().methods, PASSKEY: { status: 'disabled', configuredAt: t0, enabledAt: null } },
    };
    const { events } = decider(decideEnable)
      .given(disabled)
      .when({ ...subject, method: 'PASSKEY' }, t0)
      .thenDecides();
    expect(events).toEqual([
      { type: 'MfaMethodEnabled', data: { userId: 'user-1', orgId: 'org-1', method: 'PASSKEY', isPrimary: false, enabledMethods: ['GOOGLE_AUTH', 'PASSKEY'] } },
    ]);
  });
});

describe('UserMfa: disable', () => {
  it('given the only method and no enforcement, when disabled, then disabled, primary null, both events', () => {
    const { state, events } = decider(decideDisable)
      .given(totpEnabled())
      .when({ ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: false }, t0)
      .thenDecides();
    expect(state.methods.GOOGLE_AUTH.status).toBe('disabled');
    expect(state.totp?.secret).toEqual(sealed); // kept so /mfa/enable can bring it back
    expect(state.enabledMethods).toEqual([]);
    expect(state.primaryMethod).toBeNull();
    expect(events).toEqual([
      { type: 'MfaMethodDisabled', data: { userId: 'user-1', orgId: 'org-1', method: 'GOOGLE_AUTH', enabledMethods: [] } },
      { type: 'MfaPrimaryMethodChanged', data: { userId: 'user-1', orgId: 'org-1', method: null, previous: 'GOOGLE_AUTH' } },
    ]);
  });

  it('given org enforcement, when the last enabled method is disabled, then 403 MFA_ENFORCED_BY_ORG', () => {
    decider(decideDisable)
      .given(totpEnabled())
      .when({ ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: true }, t0)
      .thenThrows({ kind: 'forbidden', code: 'MFA_ENFORCED_BY_ORG', message: 'Cannot disable MFA when enforced by organization' });
  });

  it('given org enforcement and two methods, when the primary is disabled, then allowed and primary moves to the other', () => {
    const { state, events } = decider(decideDisable)
      .given(twoMethods())
      .when({ ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: true }, t0)
      .thenDecides();
    expect(state.enabledMethods).toEqual(['PASSKEY']);
    expect(state.primaryMethod).toBe('PASSKEY');
    expect(events).toEqual([
      { type: 'MfaMethodDisabled', data: { userId: 'user-1', orgId: 'org-1', method: 'GOOGLE_AUTH', enabledMethods: ['PASSKEY'] } },
      { type: 'MfaPrimaryMethodChanged', data: { userId: 'user-1', orgId: 'org-1', method: 'PASSKEY', previous: 'GOOGLE_AUTH' } },
    ]);
  });

  it('given two methods, when the non-primary is disabled, then primary is unchanged and only MfaMethodDisabled', () => {
    const { state, events } = decider(decideDisable)
      .given(twoMethods())
      .when({ ...subject, method: 'PASSKEY', enforcedByOrg: false }, t0)
      .thenDecides();
    expect(state.primaryMethod).toBe('GOOGLE_AUTH');
    expect(events.map((e) => e.type)).toEqual(['MfaMethodDisabled']);
  });

  it('given a disabled method, when disabled again, then a no-op; never configured or pending → 400 METHOD_NOT_CONFIGURED', () => {
    const disabled = decideDisable(totpEnabled(), { ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: false }, t0).state;
    expect(decideDisable(disabled, { ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: true }, t0).events).toEqual([]);
    decider(decideDisable)
      .given(null)
      .when({ ...subject, method: 'MAGIC_LINK', enforcedByOrg: false }, t0)
      .thenThrows({ kind: 'validation', code: 'METHOD_NOT_CONFIGURED' });
    decider(decideDisable)
      .given(pending())
      .when({ ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: false }, t0)
      .thenThrows({ kind: 'validation', code: 'METHOD_NOT_CONFIGURED' });
  });
});

describe('UserMfa: primary', () => {
  it('given two enabled methods, when the other is made primary, then MfaPrimaryMethodChanged', () => {
    const { state, events } = decider(decideSetPrimary)
      .given(twoMethods())
      .when({ ...subject, method: 'PASSKEY' }, t0)
      .thenDecides();
    expect(state.primaryMethod).toBe('PASSKEY');
    expect(events).toEqual([{ type: 'MfaPrimaryMethodChanged', data: { userId: 'user-1', orgId: 'org-1', method: 'PASSKEY', previous: 'GOOGLE_AUTH' } }]);
  });

  it('given the method is already primary, then a no-op', () => {
    expect(decideSetPrimary(twoMethods(), { ...subject, method: 'GOOGLE_AUTH' }, t0).events).toEqual([]);
  });

  it('given a method that is not enabled (never, pending or disabled), then 400 METHOD_NOT_ENABLED', () => {
    decider(decideSetPrimary)
      .given(null)
      .when({ ...subject, method: 'GOOGLE_AUTH' }, t0)
      .thenThrows({ kind: 'validation', code: 'METHOD_NOT_ENABLED' });
    decider(decideSetPrimary)
      .given(pending())
      .when({ ...subject, method: 'GOOGLE_AUTH' }, t0)
      .thenThrows({ kind: 'validation', code: 'METHOD_NOT_ENABLED' });
    const disabled = decideDisable(twoMethods(), { ...subject, method: 'PASSKEY', enforcedByOrg: false }, t0).state;
    decider(decideSetPrimary)
      .given(disabled)
      .when({ ...subject, method: 'PASSKEY' }, t0)
      .thenThrows({ kind: 'validation', code: 'METHOD_NOT_ENABLED' });
  });
});

describe('UserMfa: reset', () => {
  it('given methods, secret and backup codes, when reset by the user, then everything is removed and MfaReset selfService', () => {
    const { state, events } = decider(decideReset)
      .given(twoMethods())
      .when({ ...subject, resetBy: 'user-1', orgIds: ['org-1'], clearLockout: false }, t0)
      .thenDecides();
    expect(state).toEqual(newUserMfa('user-1', 'org-1'));
    expect(events).toEqual([{ type: 'MfaReset', data: { userId: 'user-1', orgId: 'org-1', orgIds: ['org-1'], resetBy: 'user-1', selfService: true } }]);
  });

  it('given a pending setup, when reset by an admin, then removed and MfaReset not selfService', () => {
    const { state, events } = decider(decideReset)
      .given(pending())
      .when({ ...subject, resetBy: 'admin-1', orgIds: ['org-1'], clearLockout: true }, t0)
      .thenDecides();
    expect(state.totp).toBeNull();
    expect(state.methods.GOOGLE_AUTH.status).toBe('none');
    expect(events[0].data).toMatchObject({ resetBy: 'admin-1', selfService: false });
  });

  it('given nothing configured, when reset, then a no-op', () => {
    expect(decideReset(null, { ...subject, resetBy: 'user-1', orgIds: ['org-1'], clearLockout: false }, t0).events).toEqual([]);
    expect(decideReset(newUserMfa('user-1', 'org-1'), { ...subject, resetBy: 'user-1', orgIds: ['org-1'], clearLockout: false }, t0).events).toEqual([]);
  });
});

describe('UserMfa: events never carry secrets, codes or hashes', () => {
  it('no event data mentions the sealed secret or a backup-code hash', () => {
    const all = [
      decideStartTotpSetup(null, { ...subject, secret: sealed, backupCodeHashes: hashes }, t0),
      decideVerifyTotpSetup(pending(), { ...subject, check: ok() }, t0),
      decideDisable(twoMethods(), { ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: false }, t0),
      decideReset(twoMethods(), { ...subject, resetBy: 'user-1', orgIds: ['org-1'], clearLockout: false }, t0),
    ].flatMap((d) => d.events);
    const json = JSON.stringify(all);
    for (const secret of [sealed.ciphertext, sealed.iv, sealed.tag, ...hashes.map((h) => `"${h}"`)]) expect(json).not.toContain(secret);
  });
});

describe('UserMfa: setups started without step-up (trust model "Pending setups")', () => {
  const sealedSecret = { keyId: 'k1', iv: 'aXY=', tag: 'dGFn', ciphertext: 'Y2lwaGVy' };
  const passkey = {
    id: 'pk-cred-1',
    credentialId: 'cred-1',
    publicKey: 'pk',
    counter: 0,
    transports: [],
    deviceType: 'singleDevice',
    backedUp: false,
    aaguid: '',
  };

  it('given an unproven TOTP setup and setup link, when a passkey becomes enabled, then both are cancelled (TOTP fails as expired)', () => {
    let state = decideStartTotpSetup(null, { ...subject, secret: sealedSecret, backupCodeHashes: ['h'] }, t0).state;
    state = decideRequestMagicLink(state, { ...subject, purpose: 'setup', email: 'a@b.c', tokenHash: 'th', link: 'l', expiresAt: at(600_000) }, t0).state;
    state = decideStartPasskeyRegistration(state, { ...subject, challenge: 'ch', expiresAt: at(300_000), stepUpProven: false }, t0).state;
    const enabled = decideCompletePasskeyRegistration(state, { ...subject, challenge: 'ch', passkey }, at(1000)).state;
    expect(enabled.enabledMethods).toEqual(['PASSKEY']);
    expect(enabled.totp).toMatchObject({ pendingExpiresAt: at(1000), pendingBackupCodes: [] });
    expect(enabled.magicLinks).toEqual([]);
    expect(() => decideVerifyTotpSetup(enabled, { ...subject, check: () => ({ ok: true, step: 1 }) }, at(2000))).toThrow(
      expect.objectContaining({ code: 'SETUP_EXPIRED' }),
    );
    expect(() => decideActivateMagicLink(enabled, { ...subject, tokenHash: 'th' }, at(2000))).toThrow(expect.objectContaining({ code: 'INVALID_TOKEN' }));
  });

  it('given a setup started with step-up proven, when another method becomes enabled, then it stays valid until it expires', () => {
    let state = decideStartTotpSetup(null, { ...subject, secret: sealedSecret, backupCodeHashes: ['h'], stepUpProven: true }, t0).state;
    state = decideStartPasskeyRegistration(state, { ...subject, challenge: 'ch', expiresAt: at(300_000), stepUpProven: true }, t0).state;
    const enabled = decideCompletePasskeyRegistration(state, { ...subject, challenge: 'ch', passkey }, at(1000)).state;
    const verified = decideVerifyTotpSetup(enabled, { ...subject, check: () => ({ ok: true, step: 1 }) }, at(2000)).state;
    expect(verified.enabledMethods).toEqual(['PASSKEY', 'GOOGLE_AUTH']);
  });

  it('given an unproven passkey registration, when TOTP is verified, then the registration challenge is gone', () => {
    let state = decideStartPasskeyRegistration(null, { ...subject, challenge: 'ch', expiresAt: at(300_000) }, t0).state;
    state = decideStartTotpSetup(state, { ...subject, secret: sealedSecret, backupCodeHashes: ['h'] }, t0).state;
    const enabled = decideVerifyTotpSetup(state, { ...subject, check: () => ({ ok: true, step: 1 }) }, at(1000)).state;
    expect(enabled.passkeyChallenges).toEqual([]);
    expect(() => decideCompletePasskeyRegistration(enabled, { ...subject, challenge: 'ch', passkey }, at(2000))).toThrow(
      expect.objectContaining({ code: 'PASSKEY_REGISTRATION_FAILED' }),
    );
  });
});
