import { dataOf, decider } from '../../../../../../../test/harness/decider-spec';
import { at, DAY, device, everything, subject, t0 } from '../../../../../../../test/harness/user-mfa-fixtures';
import { decideVerifyLogin, LoginFactor } from '../../../domain/login-verification';
import { decideReset } from '../../../domain/reset';
import {
  addTrustedDevice,
  decideRevokeAllTrustedDevices,
  decideRevokeTrustedDevice,
  effectiveExpiry,
  MAX_TRUSTED_DEVICES,
  revokeDevicesOfUnusableFactors,
  trustedDeviceViews,
} from './trusted-devices';
import { decideDisable, decideEnable, UserMfaState } from '../../../domain/user-mfa';

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
    const one = decider(decideRevokeTrustedDevice)
      .given(state)
      .when({ ...subject, deviceId: 'td-1', rememberDeviceDays: 30 }, at(1000))
      .thenDecides();
    expect(one.state.trustedDevices.map((d) => d.id)).toEqual(['td-2']);
    expect(one.events).toEqual([{ type: 'TrustedDeviceRevoked', data: { userId: 'user-1', orgId: 'org-1', deviceId: 'td-1', reason: 'user' } }]);
    decider(decideRevokeTrustedDevice)
      .given(state)
      .when({ ...subject, deviceId: 'td-9', rememberDeviceDays: 30 }, at(1000))
      .thenThrows({ code: 'TRUSTED_DEVICE_NOT_FOUND' });
    decider(decideRevokeTrustedDevice)
      .given(state)
      .when({ ...subject, deviceId: 'td-1', rememberDeviceDays: 1 }, at(2 * DAY))
      .thenThrows({ code: 'TRUSTED_DEVICE_NOT_FOUND' });
    expect(decideRevokeAllTrustedDevices(state, subject, t0).events.map((e) => dataOf(e).reason)).toEqual(['admin', 'admin']);
    expect(decideRevokeAllTrustedDevices(everything(), subject, t0).events).toEqual([]);
    const reset = decider(decideReset)
      .given(state)
      .when({ ...subject, resetBy: 'user-1', orgIds: ['org-1'], clearLockout: false }, t0)
      .thenDecides();
    expect(reset.state.trustedDevices).toEqual([]);
    expect(reset.events.map((e) => [e.type, dataOf(e).reason])).toEqual([
      ['MfaReset', undefined],
      ['TrustedDeviceRevoked', 'mfa_reset'],
      ['TrustedDeviceRevoked', 'mfa_reset'],
    ]);
  });

  it('disabling a factor revokes the devices it created (factor_removed): re-enabling it does not bring them back', () => {
    const devices = [device('td-app', t0, 'totp'), device('td-key', t0, 'pk-1'), device('td-codes', t0, 'backup-codes')];
    const state = { ...everything(), trustedDevices: devices };
    const disable = (s: UserMfaState, method: 'GOOGLE_AUTH' | 'PASSKEY' | 'MAGIC_LINK') =>
      revokeDevicesOfUnusableFactors(decideDisable(s, { ...subject, method, enforcedByOrg: false }, t0), subject);
    const noApp = disable(state, 'GOOGLE_AUTH');
    expect(noApp.state.trustedDevices.map((d) => d.id)).toEqual(['td-key', 'td-codes']);
    expect(noApp.events.map((e) => [e.type, dataOf(e).deviceId ?? dataOf(e).method, dataOf(e).reason])).toEqual([
      ['MfaMethodDisabled', 'GOOGLE_AUTH', undefined],
      ['MfaPrimaryMethodChanged', 'PASSKEY', undefined],
      ['TrustedDeviceRevoked', 'td-app', 'factor_removed'],
    ]);
    expect(decideEnable(noApp.state, { ...subject, method: 'GOOGLE_AUTH' }, t0).state.trustedDevices.map((d) => d.id)).toEqual(['td-key', 'td-codes']);
    // The last method gone: backup codes no longer stand in for anything, so their device goes too.
    const none = disable(disable(noApp.state, 'PASSKEY').state, 'MAGIC_LINK');
    expect(none.state.trustedDevices).toEqual([]);
    // A disable that changes nothing revokes nothing.
    expect(disable(none.state, 'MAGIC_LINK').events).toEqual([]);
  });

  describe('verify-login with a device', () => {
    const factor = (tokenHash: string, days = 30, allowed = true): LoginFactor => ({
      method: 'TRUSTED_DEVICE',
      tokenHash,
      rememberDeviceDays: days,
      allowed: () => allowed,
    });
    const withDevice = (authenticatorId = 'totp') => ({ ...everything(), trustedDevices: [device('td-1', t0, authenticatorId)] });

    it('a known, live device: verified with amr mfa and the acr of its factor; proves no step-up; no new device', () => {
      const decision = decider(decideVerifyLogin)
        .given(withDevice())
        .when({ ...subject, sessionId: 's-1', factor: factor('hash-td-1') }, at(DAY))
        .thenDecides();
      expect(decision.outcome).toEqual({ verified: true, method: 'TRUSTED_DEVICE', assurance: { acr: 'aal2', amr: ['mfa'] }, trustedDevice: null });
      expect(decision.state.trustedDevices[0].lastUsedAt).toEqual(at(DAY));
      expect(decision.state.verification.verifiedSessions).toEqual([]);
      const again = decider(decideVerifyLogin)
        .given(withDevice())
        .when({ ...subject, factor: factor('hash-td-1'), rememberDevice: { id: 'td-x', tokenHash: 'h', name: null, days: 30 } }, at(DAY))
        .thenDecides();
      expect(again.state.trustedDevices).toHaveLength(1);
    });

    it('unknown → invalid_token, expired (policy lowered) → expired and dropped, its factor gone → invalid_token, all counted in their own family', () => {
      const unknown = decider(decideVerifyLogin)
        .given(withDevice())
        .when({ ...subject, factor: factor('hash-other') }, at(DAY))
        .thenDecides();
      expect(unknown.outcome).toEqual({ verified: false, method: 'TRUSTED_DEVICE', reason: 'invalid_token' });
      expect(unknown.state.verification.families).toEqual({ trustedDevice: { failures: 1, lockedUntil: null } });
      const expired = decider(decideVerifyLogin)
        .given(withDevice())
        .when({ ...subject, factor: factor('hash-td-1', 1) }, at(2 * DAY))
        .thenDecides();
      expect(expired.outcome).toMatchObject({ verified: false, reason: 'expired' });
      expect(expired.state.trustedDevices).toEqual([]);
      const noPasskey = { ...withDevice('pk-9') };
      expect(decideVerifyLogin(noPasskey, { ...subject, factor: factor('hash-td-1') }, at(DAY)).outcome).toMatchObject({
        verified: false,
        reason: 'invalid_token',
      });
      // The login's organization does not accept the factor that created it: 403, not counted.
      decider(decideVerifyLogin)
        .given(withDevice())
        .when({ ...subject, factor: factor('hash-td-1', 30, false) }, at(DAY))
        .thenThrows({ code: 'METHOD_NOT_ALLOWED' });
    });
  });
});
