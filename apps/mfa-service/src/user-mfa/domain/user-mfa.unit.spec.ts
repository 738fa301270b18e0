import { decider } from '../../../../../test/harness/decider-spec';
import { decideDisable, decideEnable, decideSetPrimary, newUserMfa, PENDING_SETUP_TTL_MS, SealedSecretData, TotpCheck, UserMfaState } from './user-mfa';
import { decideActivateMagicLink, decideRequestMagicLink } from '../factors/magic-link/domain/magic-link.setup';
import { decideCompletePasskeyRegistration, decideStartPasskeyRegistration } from '../factors/passkey/domain/passkey.setup';
import { decideReset } from './reset';
import { decideStartTotpSetup, decideVerifyTotpSetup } from '../factors/totp/domain/totp.setup';

const t0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const subject = { userId: 'user-1', orgId: 'org-1' };
const sealed: SealedSecretData = { keyId: 'k1', iv: 'aXY=', tag: 'dGFn', ciphertext: 'Y2lwaGVy' };
const hashes = ['h1', 'h2', 'h3'];
const ok = (step = 100): (() => TotpCheck) => () => ({ ok: true, step });
const bad: () => TotpCheck = () => ({ ok: false, reason: 'invalid_code' });

const pending = (state: UserMfaState | null = null, now = t0) =>
  decideStartTotpSetup(state, { ...subject, secret: sealed, backupCodeHashes: hashes }, now).state;
const totpEnabled = (state: UserMfaState | null = null, now = t0) =>
  decideVerifyTotpSetup(pending(state, now), { ...subject, check: ok() }, now).state;

/** A user with GOOGLE_AUTH (primary) and PASSKEY enabled, built through the rules. */
function twoMethods(): UserMfaState {
  const base = totpEnabled();
  const withPasskey: UserMfaState = {
    ...base,
    methods: { ...base.methods, PASSKEY: { status: 'disabled', configuredAt: t0, enabledAt: null } },
  };
  return decideEnable(withPasskey, { ...subject, method: 'PASSKEY' }, t0).state;
}

describe('UserMfa: TOTP setup', () => {
  it('given nothing, when setup starts, then GOOGLE_AUTH is pending with a 10-minute expiry and MfaMethodSetupStarted', () => {
    const { state, events } = decider(decideStartTotpSetup).given(null).when({ ...subject, secret: sealed, backupCodeHashes: hashes }, t0).thenDecides();
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
    const { state } = decider(decideStartTotpSetup).given(pending()).when({ ...subject, secret: other, backupCodeHashes: ['x'] }, at(60_000)).thenDecides();
    expect(state.totp?.secret).toEqual(other);
    expect(state.totp?.pendingExpiresAt).toEqual(at(60_000 + PENDING_SETUP_TTL_MS));
  });

  it('given GOOGLE_AUTH enabled, when setup starts, then 409 METHOD_ALREADY_ENABLED', () => {
    decider(decideStartTotpSetup).given(totpEnabled()).when({ ...subject, secret: sealed, backupCodeHashes: hashes }, t0).thenThrows({ kind: 'conflict', code: 'METHOD_ALREADY_ENABLED' });
  });

  it('given a membership-created state (orgId only), events carry the stored orgId when the request has none', () => {
    const { events } = decider(decideStartTotpSetup).given(newUserMfa('user-1', 'org-9')).when({ userId: 'user-1', orgId: null, secret: sealed, backupCodeHashes: [] }, t0).thenDecides();
    expect(events[0].data).toMatchObject({ orgId: 'org-9' });
  });

  it('given a pending setup, when a valid code is verified, then enabled + primary, step stored, backup codes active', () => {
    const { state, events } = decider(decideVerifyTotpSetup).given(pending()).when({ ...subject, check: ok(4242) }, at(1000)).thenDecides();
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
    decider(decideVerifyTotpSetup).given(pending()).when({ ...subject, check: bad }, t0).thenThrows({ kind: 'validation', code: 'VERIFICATION_FAILED', message: 'MFA setup verification failed' });
  });

  it('given an expired pending setup, when verified, then 400 SETUP_EXPIRED (even with a valid code)', () => {
    decider(decideVerifyTotpSetup).given(pending()).when({ ...subject, check: ok() }, at(PENDING_SETUP_TTL_MS)).thenThrows({ kind: 'validation', code: 'SETUP_EXPIRED', message: 'MFA setup verification failed' });
    expect(() => decideVerifyTotpSetup(pending(), { ...subject, check: ok() }, at(PENDING_SETUP_TTL_MS - 1))).not.toThrow();
  });

  it('given no pending setup (none, or already enabled), when verified, then 400 SETUP_NOT_PENDING', () => {
    decider(decideVerifyTotpSetup).given(null).when({ ...subject, check: ok() }, t0).thenThrows({ kind: 'validation', code: 'SETUP_NOT_PENDING' });
    decider(decideVerifyTotpSetup).given(totpEnabled()).when({ ...subject, check: ok() }, t0).thenThrows({ kind: 'validation', code: 'SETUP_NOT_PENDING' });
  });

  it('given existing backup codes, when a new TOTP setup is verified, then the new codes replace them and BackupCodesRegenerated', () => {
    const disabled = decideDisable(totpEnabled(), { ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: false }, t0).state;
    const restarted = decideStartTotpSetup(disabled, { ...subject, secret: sealed, backupCodeHashes: ['n1', 'n2'] }, t0).state;
    const { state, events } = decider(decideVerifyTotpSetup).given(restarted).when({ ...subject, check: ok() }, t0).thenDecides();
    expect(state.backupCodes).toEqual([{ hash: 'n1', usedAt: null }, { hash: 'n2', usedAt: null }]);
    expect(events.map((e) => e.type)).toEqual(['MfaMethodEnabled', 'MfaPrimaryMethodChanged', 'BackupCodesRegenerated']);
    expect(events[2].data).toEqual({ userId: 'user-1', orgId: 'org-1', count: 2 });
  });
});

describe('UserMfa: enable', () => {
  it('given a configured but disabled method, when enabled, then enabled again with MfaMethodEnabled', () => {
    const disabled = decideDisable(totpEnabled(), { ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: false }, t0).state;
    const { state, events } = decider(decideEnable).given(disabled).when({ ...subject, method: 'GOOGLE_AUTH' }, at(5000)).thenDecides();
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
    decider(decideEnable).given(null).when({ ...subject, method: 'PASSKEY' }, t0).thenThrows({ kind: 'validation', code: 'METHOD_NOT_CONFIGURED' });
    decider(decideEnable).given(pending()).when({ ...subject, method: 'GOOGLE_AUTH' }, t0).thenThrows({ kind: 'validation', code: 'METHOD_NOT_CONFIGURED' });
  });

  it('a second enabled method is appended and does not take primary', () => {
    const state = twoMethods();
    expect(state.enabledMethods).toEqual(['GOOGLE_AUTH', 'PASSKEY']);
    expect(state.primaryMethod).toBe('GOOGLE_AUTH');
    const disabled: UserMfaState = { ...totpEnabled(), methods: { ...totpEnabled().methods, PASSKEY: { status: 'disabled', configuredAt: t0, enabledAt: null } } };
    const { events } = decider(decideEnable).given(disabled).when({ ...subject, method: 'PASSKEY' }, t0).thenDecides();
    expect(events).toEqual([
      { type: 'MfaMethodEnabled', data: { userId: 'user-1', orgId: 'org-1', method: 'PASSKEY', isPrimary: false, enabledMethods: ['GOOGLE_AUTH', 'PASSKEY'] } },
    ]);
  });
});

describe('UserMfa: disable', () => {
  it('given the only method and no enforcement, when disabled, then disabled, primary null, both events', () => {
    const { state, events } = decider(decideDisable).given(totpEnabled()).when({ ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: false }, t0).thenDecides();
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
    decider(decideDisable).given(totpEnabled()).when({ ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: true }, t0).thenThrows({ kind: 'forbidden', code: 'MFA_ENFORCED_BY_ORG', message: 'Cannot disable MFA when enforced by organization' });
  });

  it('given org enforcement and two methods, when the primary is disabled, then allowed and primary moves to the other', () => {
    const { state, events } = decider(decideDisable).given(twoMethods()).when({ ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: true }, t0).thenDecides();
    expect(state.enabledMethods).toEqual(['PASSKEY']);
    expect(state.primaryMethod).toBe('PASSKEY');
    expect(events).toEqual([
      { type: 'MfaMethodDisabled', data: { userId: 'user-1', orgId: 'org-1', method: 'GOOGLE_AUTH', enabledMethods: ['PASSKEY'] } },
      { type: 'MfaPrimaryMethodChanged', data: { userId: 'user-1', orgId: 'org-1', method: 'PASSKEY', previous: 'GOOGLE_AUTH' } },
    ]);
  });

  it('given two methods, when the non-primary is disabled, then primary is unchanged and only MfaMethodDisabled', () => {
    const { state, events } = decider(decideDisable).given(twoMethods()).when({ ...subject, method: 'PASSKEY', enforcedByOrg: false }, t0).thenDecides();
    expect(state.primaryMethod).toBe('GOOGLE_AUTH');
    expect(events.map((e) => e.type)).toEqual(['MfaMethodDisabled']);
  });

  it('given a disabled method, when disabled again, then a no-op; never configured or pending → 400 METHOD_NOT_CONFIGURED', () => {
    const disabled = decideDisable(totpEnabled(), { ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: false }, t0).state;
    expect(decideDisable(disabled, { ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: true }, t0).events).toEqual([]);
    decider(decideDisable).given(null).when({ ...subject, method: 'MAGIC_LINK', enforcedByOrg: false }, t0).thenThrows({ kind: 'validation', code: 'METHOD_NOT_CONFIGURED' });
    decider(decideDisable).given(pending()).when({ ...subject, method: 'GOOGLE_AUTH', enforcedByOrg: false }, t0).thenThrows({ kind: 'validation', code: 'METHOD_NOT_CONFIGURED' });
  });
});

describe('UserMfa: primary', () => {
  it('given two enabled methods, when the other is made primary, then MfaPrimaryMethodChanged', () => {
    const { state, events } = decider(decideSetPrimary).given(twoMethods()).when({ ...subject, method: 'PASSKEY' }, t0).thenDecides();
    expect(state.primaryMethod).toBe('PASSKEY');
    expect(events).toEqual([{ type: 'MfaPrimaryMethodChanged', data: { userId: 'user-1', orgId: 'org-1', method: 'PASSKEY', previous: 'GOOGLE_AUTH' } }]);
  });

  it('given the method is already primary, then a no-op', () => {
    expect(decideSetPrimary(twoMethods(), { ...subject, method: 'GOOGLE_AUTH' }, t0).events).toEqual([]);
  });

  it('given a method that is not enabled (never, pending or disabled), then 400 METHOD_NOT_ENABLED', () => {
    decider(decideSetPrimary).given(null).when({ ...subject, method: 'GOOGLE_AUTH' }, t0).thenThrows({ kind: 'validation', code: 'METHOD_NOT_ENABLED' });
    decider(decideSetPrimary).given(pending()).when({ ...subject, method: 'GOOGLE_AUTH' }, t0).thenThrows({ kind: 'validation', code: 'METHOD_NOT_ENABLED' });
    const disabled = decideDisable(twoMethods(), { ...subject, method: 'PASSKEY', enforcedByOrg: false }, t0).state;
    decider(decideSetPrimary).given(disabled).when({ ...subject, method: 'PASSKEY' }, t0).thenThrows({ kind: 'validation', code: 'METHOD_NOT_ENABLED' });
  });
});

describe('UserMfa: reset', () => {
  it('given methods, secret and backup codes, when reset by the user, then everything is removed and MfaReset selfService', () => {
    const { state, events } = decider(decideReset).given(twoMethods()).when({ ...subject, resetBy: 'user-1', orgIds: ['org-1'], clearLockout: false }, t0).thenDecides();
    expect(state).toEqual(newUserMfa('user-1', 'org-1'));
    expect(events).toEqual([{ type: 'MfaReset', data: { userId: 'user-1', orgId: 'org-1', orgIds: ['org-1'], resetBy: 'user-1', selfService: true } }]);
  });

  it('given a pending setup, when reset by an admin, then removed and MfaReset not selfService', () => {
    const { state, events } = decider(decideReset).given(pending()).when({ ...subject, resetBy: 'admin-1', orgIds: ['org-1'], clearLockout: true }, t0).thenDecides();
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

describe('UserMfa: magic link', () => {
  const link = (purpose: 'setup' | 'login', tokenHash = `hash-${purpose}`, now = t0) =>
    ({ ...subject, purpose, email: 'u@example.com', tokenHash, link: `https://app.example/activate?token=tok-${tokenHash}`, expiresAt: at(10 * 60_000 + (now.getTime() - t0.getTime())) });

  it('given nothing, when a setup link is requested, then MAGIC_LINK is pending, only the hash is kept, and the link goes only into MagicLinkRequested', () => {
    const { state, events } = decider(decideRequestMagicLink).given(null).when(link('setup'), t0).thenDecides();
    expect(state.methods.MAGIC_LINK.status).toBe('pending');
    expect(state.email).toBe('u@example.com');
    expect(state.magicLinks).toEqual([{ tokenHash: 'hash-setup', purpose: 'setup', email: 'u@example.com', expiresAt: at(600_000), startedWithoutStepUp: true }]);
    expect(events).toEqual([
      { type: 'MfaMethodSetupStarted', data: { userId: 'user-1', orgId: 'org-1', method: 'MAGIC_LINK' } },
      {
        type: 'MagicLinkRequested',
        data: { userId: 'user-1', email: 'u@example.com', purpose: 'setup', link: 'https://app.example/activate?token=tok-hash-setup', expiresAt: at(600_000).toISOString() },
      },
    ]);
  });

  it('a new link for the same purpose replaces the older one', () => {
    const first = decideRequestMagicLink(null, link('setup', 'a'), t0).state;
    const second = decideRequestMagicLink(first, link('setup', 'b'), t0).state;
    expect(second.magicLinks.map((l) => l.tokenHash)).toEqual(['b']);
    decider(decideActivateMagicLink).given(second).when({ ...subject, tokenHash: 'a' }, t0).thenThrows({ kind: 'validation', code: 'INVALID_TOKEN', message: 'Invalid or expired token' });
  });

  it('activating an outstanding setup link consumes it and enables MAGIC_LINK as primary; reuse is refused', () => {
    const requested = decideRequestMagicLink(null, link('setup'), t0).state;
    const { state, events } = decider(decideActivateMagicLink).given(requested).when({ ...subject, tokenHash: 'hash-setup' }, at(60_000)).thenDecides();
    expect(state.methods.MAGIC_LINK).toEqual({ status: 'enabled', configuredAt: at(60_000), enabledAt: at(60_000) });
    expect(state.primaryMethod).toBe('MAGIC_LINK');
    expect(state.magicLinks).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['MfaMethodEnabled', 'MfaPrimaryMethodChanged']);
    decider(decideActivateMagicLink).given(state).when({ ...subject, tokenHash: 'hash-setup' }, at(60_000)).thenThrows({ kind: 'validation', code: 'INVALID_TOKEN' });
  });

  it('an expired, unknown or login-purpose token is refused with INVALID_TOKEN', () => {
    const requested = decideRequestMagicLink(null, link('setup'), t0).state;
    decider(decideActivateMagicLink).given(requested).when({ ...subject, tokenHash: 'hash-setup' }, at(10 * 60_000)).thenThrows({ kind: 'validation', code: 'INVALID_TOKEN' });
    decider(decideActivateMagicLink).given(requested).when({ ...subject, tokenHash: 'nope' }, t0).thenThrows({ kind: 'validation', code: 'INVALID_TOKEN' });
    decider(decideActivateMagicLink).given(null).when({ ...subject, tokenHash: 'nope' }, t0).thenThrows({ kind: 'validation', code: 'INVALID_TOKEN' });
    const enabled = decideActivateMagicLink(requested, { ...subject, tokenHash: 'hash-setup' }, t0).state;
    const login = decider(decideRequestMagicLink).given(enabled).when(link('login'), t0).thenDecides();
    expect(login.events.map((e) => e.type)).toEqual(['MagicLinkRequested']);
    decider(decideActivateMagicLink).given(login.state).when({ ...subject, tokenHash: 'hash-login' }, t0).thenThrows({ kind: 'validation', code: 'INVALID_TOKEN' });
  });

  it('a second MAGIC_LINK setup when it is already enabled is a 409; TOTP keeps its primary when MAGIC_LINK is added', () => {
    const base = totpEnabled();
    const requested = decideRequestMagicLink(base, link('setup'), t0).state;
    const { state, events } = decider(decideActivateMagicLink).given(requested).when({ ...subject, tokenHash: 'hash-setup' }, t0).thenDecides();
    expect(state.primaryMethod).toBe('GOOGLE_AUTH');
    expect(state.enabledMethods).toEqual(['GOOGLE_AUTH', 'MAGIC_LINK']);
    expect(events.map((e) => e.type)).toEqual(['MfaMethodEnabled']);
    decider(decideRequestMagicLink).given(state).when(link('setup'), t0).thenThrows({ kind: 'conflict', code: 'METHOD_ALREADY_ENABLED' });
  });

  it('reset removes outstanding links and the stored address', () => {
    const requested = decideRequestMagicLink(null, link('setup'), t0).state;
    const { state, events } = decider(decideReset).given(requested).when({ ...subject, resetBy: 'user-1', orgIds: ['org-1'], clearLockout: false }, t0).thenDecides();
    expect(state.magicLinks).toEqual([]);
    expect(state.email).toBeNull();
    expect(events.map((e) => e.type)).toEqual(['MfaReset']);
  });
});

describe('UserMfa: setups started without step-up (trust model "Pending setups")', () => {
  const sealedSecret = { keyId: 'k1', iv: 'aXY=', tag: 'dGFn', ciphertext: 'Y2lwaGVy' };
  const passkey = { id: 'pk-cred-1', credentialId: 'cred-1', publicKey: 'pk', counter: 0, transports: [], deviceType: 'singleDevice', backedUp: false, aaguid: '' };

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
