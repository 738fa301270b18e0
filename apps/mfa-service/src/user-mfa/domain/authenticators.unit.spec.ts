import { decider, expectRefused } from '../../../../../test/harness/decider-spec';
import { at, device, everything, subject, t0 } from '../../../../../test/harness/user-mfa-fixtures';
import { authenticatorName, authenticatorViews, decideRemoveAuthenticator, decideRenameAuthenticator, maskEmail } from './authenticators';
import { passkeyProviderOf } from '../factors/passkey/domain/passkey-providers';
import type { UserMfaState } from './user-mfa';

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
    const renamed = decider(decideRenameAuthenticator)
      .given(state)
      .when({ ...subject, authenticatorId: 'pk-2', name: 'Phone' }, t0)
      .thenDecides();
    expect(renamed.state.passkeys[1].name).toBe('Phone');
    expect(renamed.events).toEqual([
      { type: 'MfaAuthenticatorRenamed', data: { userId: 'user-1', orgId: 'org-1', authenticatorId: 'pk-2', type: 'PASSKEY', name: 'Phone' } },
    ]);
    expect(decideRenameAuthenticator(renamed.state, { ...subject, authenticatorId: 'pk-2', name: 'Phone' }, t0).events).toEqual([]);
    expect(decideRenameAuthenticator(state, { ...subject, authenticatorId: 'totp', name: 'Authy' }, t0).state.factorMeta.GOOGLE_AUTH.name).toBe('Authy');
    decider(decideRenameAuthenticator)
      .given(state)
      .when({ ...subject, authenticatorId: 'pk-9', name: 'x' }, t0)
      .thenThrows({ code: 'AUTHENTICATOR_NOT_FOUND' });
    decider(decideRenameAuthenticator)
      .given(state)
      .when({ ...subject, authenticatorId: 'backup-codes', name: 'x' }, t0)
      .thenThrows({ code: 'VALIDATION_FAILED' });
    decider(decideRenameAuthenticator)
      .given(null)
      .when({ ...subject, authenticatorId: 'totp', name: 'x' }, t0)
      .thenThrows({ code: 'AUTHENTICATOR_NOT_FOUND' });
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
    expect(noApp.state).toMatchObject({
      totp: null,
      enabledMethods: ['PASSKEY', 'MAGIC_LINK'],
      primaryMethod: 'PASSKEY',
      methods: { GOOGLE_AUTH: { status: 'none' } },
    });
    expect(noApp.events.map((e) => e.type)).toEqual(['MfaAuthenticatorRemoved', 'MfaMethodDisabled', 'MfaPrimaryMethodChanged']);
    const noEmail = remove(everything(), 'email');
    expect(noEmail.state).toMatchObject({ email: null, magicLinks: [], enabledMethods: ['GOOGLE_AUTH', 'PASSKEY'] });
    const lastPasskey = remove(remove(everything(), 'pk-1').state, 'pk-2');
    expect(lastPasskey.state).toMatchObject({ passkeys: [], methods: { PASSKEY: { status: 'none' } }, enabledMethods: ['GOOGLE_AUTH', 'MAGIC_LINK'] });
  });

  it('the last enabled method under enforcement: 403 MFA_ENFORCED_BY_ORG; without enforcement it goes', () => {
    const onlyApp: UserMfaState = {
      ...everything(),
      methods: {
        ...everything().methods,
        MAGIC_LINK: { status: 'none', configuredAt: null, enabledAt: null },
        PASSKEY: { status: 'none', configuredAt: null, enabledAt: null },
      },
      passkeys: [],
      email: null,
      enabledMethods: ['GOOGLE_AUTH'],
    };
    expectRefused(() => remove(onlyApp, 'totp', true), { code: 'MFA_ENFORCED_BY_ORG' });
    expect(remove(onlyApp, 'totp', false).state).toMatchObject({ enabledMethods: [], primaryMethod: null });
    // Not the last method: allowed under enforcement.
    expect(remove(everything(), 'totp', true).state.enabledMethods).toEqual(['PASSKEY', 'MAGIC_LINK']);
  });

  it('unknown ids 404, backup codes 400; an admin removal names the admin and every organization', () => {
    expectRefused(() => remove(everything(), 'pk-9'), { code: 'AUTHENTICATOR_NOT_FOUND' });
    expectRefused(() => remove(everything(), 'backup-codes'), { code: 'VALIDATION_FAILED' });
    const byAdmin = decider(decideRemoveAuthenticator)
      .given(everything())
      .when({ ...subject, authenticatorId: 'pk-2', enforcedByOrg: true, removedBy: 'admin-1', orgIds: ['org-1', 'org-2'] }, t0)
      .thenDecides();
    expect(byAdmin.events[0].data).toEqual({
      userId: 'user-1',
      orgId: 'org-1',
      orgIds: ['org-1', 'org-2'],
      authenticatorId: 'pk-2',
      type: 'PASSKEY',
      removedBy: 'admin-1',
    });
  });
});
