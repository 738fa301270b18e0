import { decideVerifyLogin, LOCKOUT_MS, LoginFactor, MAX_FAILED_ATTEMPTS } from './login-verification';
import { assertStepUp } from './step-up';
import { newUserMfa, UserMfaState } from './user-mfa';

const now = new Date('2026-11-22T10:00:00Z');
const subject = { userId: 'u1', orgId: 'o1' };

function withTotp(): UserMfaState {
  const state = newUserMfa('u1', 'o1');
  return {
    ...state,
    methods: { ...state.methods, GOOGLE_AUTH: { status: 'enabled', configuredAt: now, enabledAt: now } },
    enabledMethods: ['GOOGLE_AUTH'],
    primaryMethod: 'GOOGLE_AUTH',
    totp: { secret: { keyId: 'k', iv: '', tag: '', ciphertext: '' }, lastUsedStep: 100, pendingExpiresAt: null, pendingBackupCodes: [] },
    backupCodes: [{ hash: 'h1', usedAt: null }, { hash: 'h2', usedAt: null }],
  };
}

const totp = (ok: boolean, step = 101): LoginFactor => ({
  method: 'GOOGLE_AUTH',
  check: () => (ok ? { ok: true, step } : { ok: false, reason: 'invalid_code' }),
});

describe('decideVerifyLogin', () => {
  it('success: stores the step, resets failures, records the time, one MfaVerificationSucceeded', () => {
    const failed = { ...withTotp(), verification: { failedAttempts: 3, lockedUntil: null, lastVerifiedAt: null } };
    const decision = decideVerifyLogin(failed, { ...subject, factor: totp(true) }, now);
    expect(decision.outcome).toEqual({ verified: true, method: 'GOOGLE_AUTH' });
    expect(decision.state.totp?.lastUsedStep).toBe(101);
    expect(decision.state.verification).toEqual({ failedAttempts: 0, lockedUntil: null, lastVerifiedAt: now });
    expect(decision.events).toEqual([{ type: 'MfaVerificationSucceeded', data: { userId: 'u1', orgId: 'o1', method: 'GOOGLE_AUTH' } }]);
  });

  it('the fifth consecutive failure locks for 15 minutes with MfaLockedOut; while locked nothing is evaluated', () => {
    let state = withTotp();
    for (let i = 1; i < MAX_FAILED_ATTEMPTS; i++) {
      const d = decideVerifyLogin(state, { ...subject, factor: totp(false) }, now);
      expect(d.outcome).toMatchObject({ verified: false, reason: 'invalid_code', lockedUntil: null });
      state = d.state;
    }
    const locking = decideVerifyLogin(state, { ...subject, factor: totp(false) }, now);
    const until = new Date(now.getTime() + LOCKOUT_MS);
    expect(locking.outcome).toMatchObject({ verified: false, lockedUntil: until });
    expect(locking.events.map((e) => e.type)).toEqual(['MfaVerificationFailed', 'MfaLockedOut']);
    expect(locking.events[1].data).toEqual({ userId: 'u1', orgId: 'o1', until: until.toISOString() });

    const check = jest.fn(() => ({ ok: true as const, step: 102 }));
    const whileLocked = decideVerifyLogin(locking.state, { ...subject, factor: { method: 'GOOGLE_AUTH', check } }, new Date(until.getTime() - 1));
    expect(check).not.toHaveBeenCalled();
    expect(whileLocked.outcome).toMatchObject({ verified: false, reason: 'locked' });
    expect(whileLocked.state).toBe(locking.state);

    const after = decideVerifyLogin(locking.state, { ...subject, factor: { method: 'GOOGLE_AUTH', check } }, until);
    expect(after.outcome.verified).toBe(true);
  });

  it('a method the user cannot present is a 400 METHOD_NOT_ENABLED, not a counted failure', () => {
    expect(() => decideVerifyLogin(withTotp(), { ...subject, factor: { method: 'MAGIC_LINK', tokenHash: 'x' } }, now)).toThrow(
      expect.objectContaining({ code: 'METHOD_NOT_ENABLED' }),
    );
    expect(() => decideVerifyLogin(null, { ...subject, factor: { method: 'BACKUP_CODE', findUnused: () => 0 } }, now)).toThrow(
      expect.objectContaining({ code: 'METHOD_NOT_ENABLED' }),
    );
  });

  it('a backup code is marked used once', () => {
    const d = decideVerifyLogin(withTotp(), { ...subject, factor: { method: 'BACKUP_CODE', findUnused: () => 1 } }, now);
    expect(d.state.backupCodes).toEqual([{ hash: 'h1', usedAt: null }, { hash: 'h2', usedAt: now }]);
    const again = decideVerifyLogin(d.state, { ...subject, factor: { method: 'BACKUP_CODE', findUnused: () => 1 } }, now);
    expect(again.outcome).toMatchObject({ verified: false, reason: 'invalid_code' });
  });

  it('magic link: only an unexpired login link of this user; a setup link is refused and kept', () => {
    const base = withTotp();
    const state: UserMfaState = {
      ...base,
      methods: { ...base.methods, MAGIC_LINK: { status: 'enabled', configuredAt: now, enabledAt: now } },
      enabledMethods: ['GOOGLE_AUTH', 'MAGIC_LINK'],
      magicLinks: [
        { tokenHash: 'setup', purpose: 'setup', email: 'a@b.c', expiresAt: new Date(now.getTime() + 1000) },
        { tokenHash: 'login', purpose: 'login', email: 'a@b.c', expiresAt: new Date(now.getTime() + 1000) },
      ],
    };
    const setup = decideVerifyLogin(state, { ...subject, factor: { method: 'MAGIC_LINK', tokenHash: 'setup' } }, now);
    expect(setup.outcome).toMatchObject({ verified: false, reason: 'invalid_token' });
    expect(setup.state.magicLinks).toHaveLength(2);
    const login = decideVerifyLogin(state, { ...subject, factor: { method: 'MAGIC_LINK', tokenHash: 'login' } }, now);
    expect(login.outcome.verified).toBe(true);
    expect(login.state.magicLinks.map((l) => l.tokenHash)).toEqual(['setup']);
    const late = decideVerifyLogin(state, { ...subject, factor: { method: 'MAGIC_LINK', tokenHash: 'login' } }, new Date(now.getTime() + 1000));
    expect(late.outcome).toMatchObject({ verified: false, reason: 'expired' });
  });

  it('passkey: challenge consumed whatever the outcome; the counter is re-checked on the committed state', () => {
    const base = withTotp();
    const state: UserMfaState = {
      ...base,
      methods: { ...base.methods, PASSKEY: { status: 'enabled', configuredAt: now, enabledAt: now } },
      enabledMethods: ['GOOGLE_AUTH', 'PASSKEY'],
      passkeys: [{ credentialId: 'c1', publicKey: 'pk', counter: 5, transports: [], deviceType: 'singleDevice', backedUp: false, aaguid: '', name: null, createdAt: now, lastUsedAt: null }],
      passkeyChallenges: [{ challenge: 'ch', ceremony: 'authentication', expiresAt: new Date(now.getTime() + 60_000) }],
    };
    const bad = decideVerifyLogin(state, { ...subject, factor: { method: 'PASSKEY', challenge: 'ch', assertion: { ok: false, reason: 'invalid_assertion' } } }, now);
    expect(bad.outcome).toMatchObject({ verified: false, reason: 'invalid_assertion' });
    expect(bad.state.passkeyChallenges).toHaveLength(0);
    const stale = decideVerifyLogin(state, { ...subject, factor: { method: 'PASSKEY', challenge: 'ch', assertion: { ok: true, credentialId: 'c1', newCounter: 5, backedUp: false } } }, now);
    expect(stale.outcome).toMatchObject({ verified: false, reason: 'counter_regression' });
    const ok = decideVerifyLogin(state, { ...subject, factor: { method: 'PASSKEY', challenge: 'ch', assertion: { ok: true, credentialId: 'c1', newCounter: 6, backedUp: true } } }, now);
    expect(ok.outcome.verified).toBe(true);
    expect(ok.state.passkeys[0]).toMatchObject({ counter: 6, backedUp: true, lastUsedAt: now });
    const unknown = decideVerifyLogin(state, { ...subject, factor: { method: 'PASSKEY', challenge: 'other', assertion: { ok: true, credentialId: 'c1', newCounter: 9, backedUp: false } } }, now);
    expect(unknown.outcome).toMatchObject({ verified: false, reason: 'invalid_challenge' });
  });
});

describe('assertStepUp', () => {
  const windowMs = 10 * 60_000;
  it('needs no proof without MFA', () => {
    expect(() => assertStepUp(newUserMfa('u1'), { tokenMfaAt: null, windowMs }, now)).not.toThrow();
    expect(() => assertStepUp(null, { tokenMfaAt: null, windowMs }, now)).not.toThrow();
  });
  it('with MFA: a recent verify-login or a recent MFA token, else 403 STEP_UP_REQUIRED', () => {
    const state = withTotp();
    expect(() => assertStepUp(state, { tokenMfaAt: null, windowMs }, now)).toThrow(expect.objectContaining({ code: 'STEP_UP_REQUIRED', kind: 'forbidden' }));
    expect(() => assertStepUp(state, { tokenMfaAt: new Date(now.getTime() - windowMs), windowMs }, now)).not.toThrow();
    expect(() => assertStepUp(state, { tokenMfaAt: new Date(now.getTime() - windowMs - 1), windowMs }, now)).toThrow();
    const verified = { ...state, verification: { failedAttempts: 0, lockedUntil: null, lastVerifiedAt: new Date(now.getTime() - 1000) } };
    expect(() => assertStepUp(verified, { tokenMfaAt: null, windowMs }, now)).not.toThrow();
  });
});
