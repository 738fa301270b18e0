import { dataOf, decider, expectRefused } from '../../../../../test/harness/decider-spec';
import { authenticatorName, authenticatorViews, decideRemoveAuthenticator, decideRenameAuthenticator, maskEmail } from './authenticators';
import { decideVerifyLogin, LoginFactor } from './login-verification';
import { passkeyProviderOf } from '../factors/passkey/domain/passkey-providers';
import {
  addTrustedDevice,
  decideRevokeAllTrustedDevices,
  decideRevokeTrustedDevice,
  effectiveExpiry,
  MAX_TRUSTED_DEVICES,
  trustedDeviceViews,
} from '../factors/trusted-device/domain/trusted-devices';
import { newUserMfa, PasskeyState, TrustedDeviceState, UserMfaState } from './user-mfa';
import { decideReset } from './reset';

const t0 = new Date('2026-03-01T10:00:00.000Z');
const DAY = 24 * 3600_000;
const at = (ms: number) => new Date(t0.getTime() + ms);
const subject = { userId: 'user-1', orgId: 'org-1' };

const passkey = (n: number): PasskeyState => ({
  id: `pk-${n}`,
  credentialId: `cred-${n}`,
  publicKey: `public-key-${n}`,
  counter: 0,
  transports: ['internal'],
  deviceType: 'multiDevice',
  backedUp: true,
  aaguid: n === 1 ? 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4' : '00000000-0000-0000-0000-000000000000',
  name: null,
  createdAt: t0,
  lastUsedAt: null,
});

const enabled = { status: 'enabled' as const, configuredAt: t0, enabledAt: t0 };

/** A user with two passkeys, the authenticator app (primary), the email address and backup codes. */
function everything(): UserMfaState {
  return {
    ...newUserMfa('user-1', 'org-1'),
    methods: { GOOGLE_AUTH: enabled, MAGIC_LINK: enabled, PASSKEY: enabled },
    enabledMethods: ['GOOGLE_AUTH', 'PASSKEY', 'MAGIC_LINK'],
    primaryMethod: 'GOOGLE_AUTH',
    totp: { secret: { keyId: 'k1', iv: 'iv', tag: 'tag', ciphertext: 'sealed-secret' }, lastUsedStep: 1, pendingExpiresAt: null, pendingBackupCodes: [] },
    backupCodes: [
      { hash: 'hash-1', usedAt: at(5_000) },
      { hash: 'hash-2', usedAt: null },
    ],
    backupCodesGeneratedAt: t0,
    email: 'alice@example.com',
    passkeys: [passkey(1), passkey(2)],
  };
}

const device = (id: string, createdAt: Date, authenticatorId = 'totp', days = 30): TrustedDeviceState => ({
  id,
  tokenHash: `hash-${id}`,
  name: null,
  createdAt,
  lastUsedAt: null,
  expiresAt: new Date(createdAt.getTime() + days * DAY),
  method: authenticatorId === 'totp' ? 'GOOGLE_AUTH' : 'PASSKEY',
  authenticatorId,
  acr: 'aal2',
});

describe('authenticators: list', () => {
  it('lists every factor with a stable id and never a secret, public key, hash or full address', () => {
    const views = authenticatorViews(everything());
    expect(views.map((v) => [v.id, v.type])).toEqual([
      ['pk-1', 'PASSKEY'],
      ['pk-2', 'PASSKEY'],
      ['totp', 'GOOGLE_AUTH'],
      ['email', 'MAGIC_LINK'],
      ['backup-codes', 'BACKUP_CODES'],
    ]);
    expect(views[0]).toMatchObject({ provider: 'Google Password Manager', deviceType: 'multiDevice', backedUp: true, transports: ['internal'] });
    expect(views[1].provider).toBeNull();
    expect(views[3].email).toBe('a***@example.com');
    expect(views[4]).toMatchObject({ remaining: 1, lastUsedAt: at(5_000).toISOString(), generatedAt: t0.toISOString() });
    const text = JSON.stringify(views);
    for (const secret of ['sealed-secret', 'hash-1', 'hash-2', 'public-key-1', 'cred-1', 'alice@example.com']) expect(text).not.toContain(secret);
  });

  it('masks addresses and knows common AAGUIDs only', () => {
    expect(maskEmail('bob@corp.example')).toBe('b***@corp.example');
    expect(maskEmail('not-an-address')).toBe('***');
    expect(passkeyProviderOf('FBFC3007-154E-4ECC-8C0B-6E020557D7BD')).toBe('iCloud Keychain');
    expect(passkeyProviderOf('cb69481e-8ff7-4039-93ec-0a2729a154a8')).toBe('YubiKey 5 Series');
    expect(passkeyProviderOf('00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(passkeyProviderOf(null)).toBeNull();
  });
});

describe('authenticators: names', () => {
  it.each([
    ['  Work laptop  ', 'Work laptop'],
    ['x'.repeat(64), 'x'.repeat(64)],
    ['Téléphone 📱', 'Téléphone 📱'],
  ])('accepts %j as %j', (raw, name) => expect(authenticatorName(raw)).toBe(name));

  it.each([[''], ['   '], ['x'.repeat(65)], ['a\u0000b'], ['tab\there'], ['zero\u200Bwidth'], [42], [null]])('refuses %j (400 VALIDATION_FAILED)', (raw) =>
    expectRefused(() => authenticatorName(raw), { code: 'VALIDATION_FAILED' }),
  );

  it('renames a passkey or the app with one event; the same name again is a no-op; unknown ids 404; backup codes 400', () => {
    const state = everything();
    const renamed = decider(decideRenameAuthenticator).given(state).when({ ...subject, authenticatorId: 'pk-2', name: 'Phone' }, t0).thenDecides();
    expect(renamed.state.passkeys[1].name).toBe('Phone');
    expect(renamed.events).toEqual([
      { type: 'MfaAuthenticatorRenamed', data: { userId: 'user-1', orgId: 'org-1', authenticatorId: 'pk-2', type: 'PASSKEY', name: 'Phone' } },
    ]);
    expect(decideRenameAuthenticator(renamed.state, { ...subject, authenticatorId: 'pk-2', name: 'Phone' }, t0).events).toEqual([]);
    expect(decideRenameAuthenticator(state, { ...subject, authenticatorId: 'totp', name: 'Authy' }, t0).state.factorMeta.GOOGLE_AUTH.name).toBe('Authy');
    decider(decideRenameAuthenticator).given(state).when({ ...subject, authenticatorId: 'pk-9', name: 'x' }, t0).thenThrows({ code: 'AUTHENTICATOR_NOT_FOUND' });
    decider(decideRenameAuthenticator).given(state).when({ ...subject, authenticatorId: 'backup-codes', name: 'x' }, t0).thenThrows({ code: 'VALIDATION_FAILED' });
    decider(decideRenameAuthenticator).given(null).when({ ...subject, authenticatorId: 'totp', name: 'x' }, t0).thenThrows({ code: 'AUTHENTICATOR_NOT_FOUND' });
  });
});

describe('authenticators: remove', () => {
  const remove = (state: UserMfaState, authenticatorId: string, enforcedByOrg = false, removedBy = 'user-1') =>
    decideRemoveAuthenticator(state, { ...subject, authenticatorId, enforcedByOrg, removedBy }, t0);

  it('one of two passkeys: the method stays, its credential id is released, devices it created are revoked', () => {
    const state = { ...everything(), trustedDevices: [device('td-1', t0, 'pk-1'), device('td-2', t0, 'totp')] };
    const removed = remove(state, 'pk-1');
    expect(removed.releasedCredentialId).toBe('cred-1');
    expect(removed.state.passkeys.map((p) => p.id)).toEqual(['pk-2']);
    expect(removed.state.enabledMethods).toEqual(['GOOGLE_AUTH', 'PASSKEY', 'MAGIC_LINK']);
    expect(removed.state.trustedDevices.map((d) => d.id)).toEqual(['td-2']);
    expect(removed.events).toEqual([
      { type: 'MfaAuthenticatorRemoved', data: { userId: 'user-1', orgId: 'org-1', authenticatorId: 'pk-1', type: 'PASSKEY', removedBy: 'user-1' } },
      { type: 'TrustedDeviceRevoked', data: { userId: 'user-1', orgId: 'org-1', deviceId: 'td-1', reason: 'factor_removed' } },
    ]);
  });

  it('the last passkey or the app: the method is gone (none), primary moves, MfaMethodDisabled follows', () => {
    const noApp = remove(everything(), 'totp');
    expect(noApp.state).toMatchObject({ totp: null, enabledMethods: ['PASSKEY', 'MAGIC_LINK'], primaryMethod: 'PASSKEY', methods: { GOOGLE_AUTH: { status: 'none' } } });
    expect(noApp.events.map((e) => e.type)).toEqual(['MfaAuthenticatorRemoved', 'MfaMethodDisabled', 'MfaPrimaryMethodChanged']);
    const noEmail = remove(everything(), 'email');
    expect(noEmail.state).toMatchObject({ email: null, magicLinks: [], enabledMethods: ['GOOGLE_AUTH', 'PASSKEY'] });
    const lastPasskey = remove(remove(everything(), 'pk-1').state, 'pk-2');
    expect(lastPasskey.state).toMatchObject({ passkeys: [], methods: { PASSKEY: { status: 'none' } }, enabledMethods: ['GOOGLE_AUTH', 'MAGIC_LINK'] });
  });

  it('the last enabled method under enforcement: 403 MFA_ENFORCED_BY_ORG; without enforcement it goes', () => {
    const onlyApp: UserMfaState = { ...everything(), methods: { ...everything().methods, MAGIC_LINK: { status: 'none', configuredAt: null, enabledAt: null }, PASSKEY: { status: 'none', configuredAt: null, enabledAt: null } }, passkeys: [], email: null, enabledMethods: ['GOOGLE_AUTH'] };
    expectRefused(() => remove(onlyApp, 'totp', true), { code: 'MFA_ENFORCED_BY_ORG' });
    expect(remove(onlyApp, 'totp', false).state).toMatchObject({ enabledMethods: [], primaryMethod: null });
    // Not the last method: allowed under enforcement.
    expect(remove(everything(), 'totp', true).state.enabledMethods).toEqual(['PASSKEY', 'MAGIC_LINK']);
  });

  it('unknown ids 404, backup codes 400; an admin removal names the admin and every organization', () => {
    expectRefused(() => remove(everything(), 'pk-9'), { code: 'AUTHENTICATOR_NOT_FOUND' });
    expectRefused(() => remove(everything(), 'backup-codes'), { code: 'VALIDATION_FAILED' });
    const byAdmin = decider(decideRemoveAuthenticator).given(everything()).when({ ...subject, authenticatorId: 'pk-2', enforcedByOrg: true, removedBy: 'admin-1', orgIds: ['org-1', 'org-2'] }, t0).thenDecides();
    expect(byAdmin.events[0].data).toEqual({ userId: 'user-1', orgId: 'org-1', orgIds: ['org-1', 'org-2'], authenticatorId: 'pk-2', type: 'PASSKEY', removedBy: 'admin-1' });
  });
});

describe('trusted devices', () => {
  const add = (state: UserMfaState, id: string, now: Date, days = 30) =>
    addTrustedDevice(state, subject, { id, tokenHash: `hash-${id}`, name: null, days, method: 'GOOGLE_AUTH', authenticatorId: 'totp', acr: 'aal2' }, now);

  it(`at most ${MAX_TRUSTED_DEVICES} per user: the oldest is evicted with TrustedDeviceRevoked (evicted)`, () => {
    let state = everything();
    for (let i = 0; i < MAX_TRUSTED_DEVICES; i++) state = add(state, `td-${i}`, at(i * 1000)).state;
    const added = add(state, 'td-new', at(60_000));
    expect(added.state.trustedDevices).toHaveLength(MAX_TRUSTED_DEVICES);
    expect(added.state.trustedDevices[0].id).toBe('td-1');
    expect(added.events).toEqual([
      { type: 'TrustedDeviceRevoked', data: { userId: 'user-1', orgId: 'org-1', deviceId: 'td-0', reason: 'evicted' } },
      { type: 'TrustedDeviceRegistered', data: { userId: 'user-1', orgId: 'org-1', deviceId: 'td-new', expiresAt: at(60_000 + 30 * DAY).toISOString() } },
    ]);
    expect(JSON.stringify(added.events)).not.toContain('hash-');
  });

  it('a lower policy shortens existing devices; 0 ends them', () => {
    const d = device('td-1', t0);
    expect(effectiveExpiry(d, 30)).toEqual(at(30 * DAY));
    expect(effectiveExpiry(d, 90)).toEqual(at(30 * DAY));
    expect(effectiveExpiry(d, 1)).toEqual(at(DAY));
    expect(effectiveExpiry(d, 0)).toEqual(t0);
    const state = { ...everything(), trustedDevices: [d] };
    expect(trustedDeviceViews(state, 1, at(DAY / 2))).toEqual([
      { id: 'td-1', name: null, createdAt: t0.toISOString(), lastUsedAt: null, expiresAt: at(DAY).toISOString() },
    ]);
    expect(trustedDeviceViews(state, 0, t0)).toEqual([]);
  });

  it('revoking: one of mine (unknown or expired 404), all of a member (none: a no-op), reset revokes every one', () => {
    const state = { ...everything(), trustedDevices: [device('td-1', t0), device('td-2', t0)] };
    const one = decider(decideRevokeTrustedDevice).given(state).when({ ...subject, deviceId: 'td-1', rememberDeviceDays: 30 }, at(1000)).thenDecides();
    expect(one.state.trustedDevices.map((d) => d.id)).toEqual(['td-2']);
    expect(one.events).toEqual([{ type: 'TrustedDeviceRevoked', data: { userId: 'user-1', orgId: 'org-1', deviceId: 'td-1', reason: 'user' } }]);
    decider(decideRevokeTrustedDevice).given(state).when({ ...subject, deviceId: 'td-9', rememberDeviceDays: 30 }, at(1000)).thenThrows({ code: 'TRUSTED_DEVICE_NOT_FOUND' });
    decider(decideRevokeTrustedDevice).given(state).when({ ...subject, deviceId: 'td-1', rememberDeviceDays: 1 }, at(2 * DAY)).thenThrows({ code: 'TRUSTED_DEVICE_NOT_FOUND' });
    expect(decideRevokeAllTrustedDevices(state, subject, t0).events.map((e) => dataOf(e).reason)).toEqual(['admin', 'admin']);
    expect(decideRevokeAllTrustedDevices(everything(), subject, t0).events).toEqual([]);
    const reset = decider(decideReset).given(state).when({ ...subject, resetBy: 'user-1', orgIds: ['org-1'], clearLockout: false }, t0).thenDecides();
    expect(reset.state.trustedDevices).toEqual([]);
    expect(reset.events.map((e) => [e.type, dataOf(e).reason])).toEqual([
      ['MfaReset', undefined],
      ['TrustedDeviceRevoked', 'mfa_reset'],
      ['TrustedDeviceRevoked', 'mfa_reset'],
    ]);
  });

  describe('verify-login with a device', () => {
    const factor = (tokenHash: string, days = 30, allowed = true): LoginFactor => ({ method: 'TRUSTED_DEVICE', tokenHash, rememberDeviceDays: days, allowed: () => allowed });
    const withDevice = (authenticatorId = 'totp') => ({ ...everything(), trustedDevices: [device('td-1', t0, authenticatorId)] });

    it('a known, live device: verified with amr mfa and the acr of its factor; proves no step-up; no new device', () => {
      const decision = decider(decideVerifyLogin).given(withDevice()).when({ ...subject, sessionId: 's-1', factor: factor('hash-td-1') }, at(DAY)).thenDecides();
      expect(decision.outcome).toEqual({ verified: true, method: 'TRUSTED_DEVICE', assurance: { acr: 'aal2', amr: ['mfa'] }, trustedDevice: null });
      expect(decision.state.trustedDevices[0].lastUsedAt).toEqual(at(DAY));
      expect(decision.state.verification.verifiedSessions).toEqual([]);
      const again = decider(decideVerifyLogin).given(withDevice()).when({ ...subject, factor: factor('hash-td-1'), rememberDevice: { id: 'td-x', tokenHash: 'h', name: null, days: 30 } }, at(DAY)).thenDecides();
      expect(again.state.trustedDevices).toHaveLength(1);
    });

    it('unknown → invalid_token, expired (policy lowered) → expired and dropped, its factor gone → invalid_token, all counted in their own family', () => {
      const unknown = decider(decideVerifyLogin).given(withDevice()).when({ ...subject, factor: factor('hash-other') }, at(DAY)).thenDecides();
      expect(unknown.outcome).toEqual({ verified: false, method: 'TRUSTED_DEVICE', reason: 'invalid_token' });
      expect(unknown.state.verification.families).toEqual({ trustedDevice: { failures: 1, lockedUntil: null } });
      const expired = decider(decideVerifyLogin).given(withDevice()).when({ ...subject, factor: factor('hash-td-1', 1) }, at(2 * DAY)).thenDecides();
      expect(expired.outcome).toMatchObject({ verified: false, reason: 'expired' });
      expect(expired.state.trustedDevices).toEqual([]);
      const noPasskey = { ...withDevice('pk-9') };
      expect(decideVerifyLogin(noPasskey, { ...subject, factor: factor('hash-td-1') }, at(DAY)).outcome).toMatchObject({ verified: false, reason: 'invalid_token' });
      // The login's organization does not accept the factor that created it: 403, not counted.
      decider(decideVerifyLogin).given(withDevice()).when({ ...subject, factor: factor('hash-td-1', 30, false) }, at(DAY)).thenThrows({ code: 'METHOD_NOT_ALLOWED' });
    });
  });
});
