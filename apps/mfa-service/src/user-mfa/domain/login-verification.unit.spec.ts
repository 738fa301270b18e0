import { decider } from '../../../../../test/harness/decider-spec';
import { assuranceOf, decideVerifyLogin, LoginFactor } from './login-verification';
import { BASE_LOCK_MS, FAILURES_PER_LOCK, HARD_STOP_FAILURES, MAX_LOCK_MS } from './verification-state';
import { assertStepUp } from './step-up';
import { newUserMfa, UserMfaState } from './user-mfa';

const now = new Date('2026-11-22T10:00:00Z');
const subject = { userId: 'u1', orgId: 'o1', sessionId: 's1' };

function withTotp(): UserMfaState {
  const state = newUserMfa('u1', 'o1');
  return {
    ...state,
    methods: { ...state.methods, GOOGLE_AUTH: { status: 'enabled', configuredAt: now, enabledAt: now } },
    enabledMethods: ['GOOGLE_AUTH'],
    primaryMethod: 'GOOGLE_AUTH',
    totp: { secret: { keyId: 'k', iv: '', tag: '', ciphertext: '' }, lastUsedStep: 100, pendingExpiresAt: null, pendingBackupCodes: [] },
    backupCodes: [
      { hash: 'h1', usedAt: null },
      { hash: 'h2', usedAt: null },
    ],
  };
}

function withPasskey(): UserMfaState {
  const base = withTotp();
  return {
    ...base,
    methods: { ...base.methods, PASSKEY: { status: 'enabled', configuredAt: now, enabledAt: now } },
    enabledMethods: ['GOOGLE_AUTH', 'PASSKEY'],
    passkeys: [
      {
        id: 'pk-c1',
        credentialId: 'c1',
        publicKey: 'pk',
        counter: 5,
        transports: [],
        deviceType: 'singleDevice',
        backedUp: false,
        aaguid: '',
        name: null,
        createdAt: now,
        lastUsedAt: null,
      },
    ],
    passkeyChallenges: [{ challenge: 'ch', ceremony: 'authentication', expiresAt: new Date(now.getTime() + 60_000) }],
  };
}

const passkeyFactor = (newCounter: number, userVerified = true): LoginFactor => ({
  method: 'PASSKEY',
  challenge: 'ch',
  assertion: { ok: true, credentialId: 'c1', newCounter, backedUp: false, userVerified },
});

const totp = (ok: boolean, step = 101): LoginFactor => ({
  method: 'GOOGLE_AUTH',
  check: () => (ok ? { ok: true, step } : { ok: false, reason: 'invalid_code' }),
});

describe('decideVerifyLogin', () => {
  it('success: stores the step, clears the family, proves step-up for the session only, one MfaVerificationSucceeded', () => {
    const failed = {
      ...withTotp(),
      verification: { families: { codes: { failures: 3, lockedUntil: null } }, verifiedSessions: [{ sessionId: 's0', at: now }] },
    };
    const decision = decider(decideVerifyLogin)
      .given(failed)
      .when({ ...subject, factor: totp(true) }, now)
      .thenDecides();
    expect(decision.outcome).toEqual({ verified: true, method: 'GOOGLE_AUTH', assurance: { acr: 'aal2', amr: ['otp'] }, trustedDevice: null });
    expect(decision.state.totp?.lastUsedStep).toBe(101);
    expect(decision.state.verification).toEqual({
      families: {},
      verifiedSessions: [
        { sessionId: 's1', at: now },
        { sessionId: 's0', at: now },
      ],
    });
    expect(decision.events).toEqual([{ type: 'MfaVerificationSucceeded', data: { userId: 'u1', orgId: 'o1', method: 'GOOGLE_AUTH' } }]);
    const noSid = decider(decideVerifyLogin)
      .given(withTotp())
      .when({ userId: 'u1', orgId: 'o1', factor: totp(true) }, now)
      .thenDecides();
    expect(noSid.state.verification.verifiedSessions).toEqual([]);
  });

  /** Fails `n` times in a row at `at`, returning the last decision. */
  function failTimes(state: UserMfaState, n: number, at: Date) {
    let d = decideVerifyLogin(state, { ...subject, factor: totp(false) }, at);
    for (let i = 1; i < n; i++) d = decideVerifyLogin(d.state, { ...subject, factor: totp(false) }, at);
    return d;
  }

  it('every fifth failure locks (15 min, doubling to 24 h) with one MfaLockedOut; a locked request throws 423 and evaluates nothing', () => {
    const fourth = failTimes(withTotp(), FAILURES_PER_LOCK - 1, now);
    expect(fourth.outcome).toMatchObject({ verified: false, reason: 'invalid_code' });
    expect(fourth.events.map((e) => e.type)).toEqual(['MfaVerificationFailed']);
    const locking = decider(decideVerifyLogin)
      .given(fourth.state)
      .when({ ...subject, factor: totp(false) }, now)
      .thenDecides();
    const until = new Date(now.getTime() + BASE_LOCK_MS);
    expect(locking.events.map((e) => e.type)).toEqual(['MfaVerificationFailed', 'MfaLockedOut']);
    expect(locking.events[1].data).toEqual({ userId: 'u1', orgId: 'o1', until: until.toISOString(), failures: 5, family: 'codes' });

    const check = jest.fn(() => ({ ok: true as const, step: 102 }));
    expect(() => decideVerifyLogin(locking.state, { ...subject, factor: { method: 'GOOGLE_AUTH', check } }, new Date(until.getTime() - 1))).toThrow(
      expect.objectContaining({ code: 'LOCKED_OUT', retryAfterSeconds: 1 }),
    );
    expect(check).not.toHaveBeenCalled();

    // Failures accumulate across locks: five more after the first lock ends lock for 30 minutes.
    const second = failTimes(locking.state, FAILURES_PER_LOCK, until);
    expect(second.events[1].data).toMatchObject({ failures: 10, until: new Date(until.getTime() + 2 * BASE_LOCK_MS).toISOString() });
    const after = decider(decideVerifyLogin)
      .given(second.state)
      .when({ ...subject, factor: { method: 'GOOGLE_AUTH', check } }, new Date(until.getTime() + 2 * BASE_LOCK_MS))
      .thenDecides();
    expect(after.outcome.verified).toBe(true);
    expect(after.state.verification.families).toEqual({});
  });

  it('durations double up to 24 h; at 100 consecutive failures the family stays locked (retryAfter null) until an admin reset', () => {
    let state = withTotp();
    let at = now;
    const durations: number[] = [];
    for (let lock = 1; lock <= HARD_STOP_FAILURES / FAILURES_PER_LOCK; lock++) {
      const d = failTimes(state, FAILURES_PER_LOCK, at);
      const locked = d.events.find((e) => e.type === 'MfaLockedOut')!;
      expect(locked.data).toMatchObject({ failures: lock * FAILURES_PER_LOCK, family: 'codes' });
      if (lock < HARD_STOP_FAILURES / FAILURES_PER_LOCK) {
        const until = new Date(locked.data.until as string);
        durations.push(until.getTime() - at.getTime());
        at = until;
      } else {
        expect(locked.data.until).toBeNull();
      }
      state = d.state;
    }
    expect(durations.slice(0, 4)).toEqual([BASE_LOCK_MS, 2 * BASE_LOCK_MS, 4 * BASE_LOCK_MS, 8 * BASE_LOCK_MS]);
    expect(Math.max(...durations)).toBe(MAX_LOCK_MS);
    const years = new Date(at.getTime() + 365 * 24 * 3600_000);
    expect(() => decideVerifyLogin(state, { ...subject, factor: totp(true) }, years)).toThrow(
      expect.objectContaining({ code: 'LOCKED_OUT', retryAfterSeconds: null }),
    );
  });

  it('families: a code lockout never blocks a passkey; passkey failures do not count against codes', () => {
    const base = withPasskey();
    const locked = failTimes(base, FAILURES_PER_LOCK, now);
    expect(() => decideVerifyLogin(locked.state, { ...subject, factor: totp(true) }, now)).toThrow(expect.objectContaining({ code: 'LOCKED_OUT' }));
    const passkey = decider(decideVerifyLogin)
      .given(locked.state)
      .when({ ...subject, factor: passkeyFactor(6) }, now)
      .thenDecides();
    expect(passkey.outcome.verified).toBe(true);
    expect(passkey.state.verification.families.codes).toMatchObject({ failures: 5 });
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
    const d = decider(decideVerifyLogin)
      .given(withTotp())
      .when({ ...subject, factor: { method: 'BACKUP_CODE', findUnused: () => 1 } }, now)
      .thenDecides();
    expect(d.state.backupCodes).toEqual([
      { hash: 'h1', usedAt: null },
      { hash: 'h2', usedAt: now },
    ]);
    const again = decider(decideVerifyLogin)
      .given(d.state)
      .when({ ...subject, factor: { method: 'BACKUP_CODE', findUnused: () => 1 } }, now)
      .thenDecides();
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
    const setup = decider(decideVerifyLogin)
      .given(state)
      .when({ ...subject, factor: { method: 'MAGIC_LINK', tokenHash: 'setup' } }, now)
      .thenDecides();
    expect(setup.outcome).toMatchObject({ verified: false, reason: 'invalid_token' });
    expect(setup.state.magicLinks).toHaveLength(2);
    const login = decider(decideVerifyLogin)
      .given(state)
      .when({ ...subject, factor: { method: 'MAGIC_LINK', tokenHash: 'login' } }, now)
      .thenDecides();
    expect(login.outcome.verified).toBe(true);
    expect(login.state.magicLinks.map((l) => l.tokenHash)).toEqual(['setup']);
    const late = decider(decideVerifyLogin)
      .given(state)
      .when({ ...subject, factor: { method: 'MAGIC_LINK', tokenHash: 'login' } }, new Date(now.getTime() + 1000))
      .thenDecides();
    expect(late.outcome).toMatchObject({ verified: false, reason: 'expired' });
  });

  it('passkey: challenge consumed whatever the outcome; the counter is re-checked on the committed state', () => {
    const state = withPasskey();
    const bad = decider(decideVerifyLogin)
      .given(state)
      .when({ ...subject, factor: { method: 'PASSKEY', challenge: 'ch', assertion: { ok: false, reason: 'invalid_assertion' } } }, now)
      .thenDecides();
    expect(bad.outcome).toMatchObject({ verified: false, reason: 'invalid_assertion' });
    expect(bad.state.passkeyChallenges).toHaveLength(0);
    const stale = decider(decideVerifyLogin)
      .given(state)
      .when(
        {
          ...subject,
          factor: { method: 'PASSKEY', challenge: 'ch', assertion: { ok: true, credentialId: 'c1', newCounter: 5, backedUp: false, userVerified: true } },
        },
        now,
      )
      .thenDecides();
    expect(stale.outcome).toMatchObject({ verified: false, reason: 'counter_regression' });
    const ok = decider(decideVerifyLogin)
      .given(state)
      .when(
        {
          ...subject,
          factor: { method: 'PASSKEY', challenge: 'ch', assertion: { ok: true, credentialId: 'c1', newCounter: 6, backedUp: true, userVerified: true } },
        },
        now,
      )
      .thenDecides();
    expect(ok.outcome.verified).toBe(true);
    expect(ok.state.passkeys[0]).toMatchObject({ counter: 6, backedUp: true, lastUsedAt: now });
    const unknown = decider(decideVerifyLogin)
      .given(state)
      .when(
        {
          ...subject,
          factor: { method: 'PASSKEY', challenge: 'other', assertion: { ok: true, credentialId: 'c1', newCounter: 9, backedUp: false, userVerified: true } },
        },
        now,
      )
      .thenDecides();
    expect(unknown.outcome).toMatchObject({ verified: false, reason: 'invalid_challenge' });
  });
});

describe('assuranceOf (NIST SP 800-63B-4)', () => {
  it('codes aal2/otp, passkey aal2/hwk (+user when verified), magic link aal1/email', () => {
    expect(assuranceOf(totp(true))).toEqual({ acr: 'aal2', amr: ['otp'] });
    expect(assuranceOf({ method: 'BACKUP_CODE', findUnused: () => 0 })).toEqual({ acr: 'aal2', amr: ['otp'] });
    expect(assuranceOf(passkeyFactor(6, true))).toEqual({ acr: 'aal2', amr: ['hwk', 'user'] });
    expect(assuranceOf(passkeyFactor(6, false))).toEqual({ acr: 'aal2', amr: ['hwk'] });
    expect(assuranceOf({ method: 'MAGIC_LINK', tokenHash: 'x' })).toEqual({ acr: 'aal1', amr: ['email'] });
  });
});

describe('assertStepUp (bound to the session)', () => {
  const windowMs = 10 * 60_000;
  const toleranceMs = 5_000;
  const proof = (tokenMfaAt: Date | null, sessionId: string | null = null) => ({ tokenMfaAt, sessionId, windowMs, toleranceMs });
  it('needs no proof without MFA', () => {
    expect(() => assertStepUp(newUserMfa('u1'), proof(null), now)).not.toThrow();
    expect(() => assertStepUp(null, proof(null), now)).not.toThrow();
  });
  it('with MFA: a recent MFA token (auth_time not in the future) or a recent verify-login of the same session', () => {
    const state = withTotp();
    expect(() => assertStepUp(state, proof(null), now)).toThrow(expect.objectContaining({ code: 'STEP_UP_REQUIRED', kind: 'forbidden' }));
    expect(() => assertStepUp(state, proof(new Date(now.getTime() - windowMs)), now)).not.toThrow();
    expect(() => assertStepUp(state, proof(new Date(now.getTime() - windowMs - 1)), now)).toThrow();
    expect(() => assertStepUp(state, proof(new Date(now.getTime() + toleranceMs)), now)).not.toThrow();
    expect(() => assertStepUp(state, proof(new Date(now.getTime() + toleranceMs + 1000)), now)).toThrow();
    const verified = { ...state, verification: { families: {}, verifiedSessions: [{ sessionId: 's1', at: new Date(now.getTime() - 1000) }] } };
    expect(() => assertStepUp(verified, proof(null, 's1'), now)).not.toThrow();
    // Another session of the same user, or a token without sid, proves nothing.
    expect(() => assertStepUp(verified, proof(null, 's2'), now)).toThrow(expect.objectContaining({ code: 'STEP_UP_REQUIRED' }));
    expect(() => assertStepUp(verified, proof(null, null), now)).toThrow(expect.objectContaining({ code: 'STEP_UP_REQUIRED' }));
    const old = { ...state, verification: { families: {}, verifiedSessions: [{ sessionId: 's1', at: new Date(now.getTime() - windowMs - 1) }] } };
    expect(() => assertStepUp(old, proof(null, 's1'), now)).toThrow();
  });
});
