import { decider } from '../../../../../../../test/harness/decider-spec';
import { decideDisable, UserMfaState } from '../../../domain/user-mfa';
import {
  CompletePasskeyRegistration,
  decideCompletePasskeyRegistration,
  decideDiscardPasskeyChallenge,
  decideStartPasskeyAuthentication,
  decideStartPasskeyRegistration,
} from './passkey.setup';
import { decideReset } from '../../../domain/reset';

const t0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const TTL = 5 * 60_000;
const subject = { userId: 'user-1', orgId: 'org-1' };
const passkey = (credentialId = 'cred-1'): CompletePasskeyRegistration['passkey'] => ({
  id: `pk-${credentialId}`,
  credentialId,
  publicKey: 'cHVibGljLWtleQ',
  counter: 0,
  transports: ['internal'],
  deviceType: 'singleDevice',
  backedUp: false,
  aaguid: '00000000-0000-0000-0000-000000000000',
});

const start = (state: UserMfaState | null, challenge: string, now = t0, name: string | null = null) =>
  decideStartPasskeyRegistration(state, { ...subject, challenge, expiresAt: new Date(now.getTime() + TTL), name }, now);
const complete = (state: UserMfaState | null, challenge: string, now = t0, credentialId = 'cred-1') =>
  decideCompletePasskeyRegistration(state, { ...subject, challenge, passkey: passkey(credentialId) }, now);

describe('UserMfa passkeys', () => {
  it('a failed ceremony discards its challenge without an event; an unknown one is a no-op', () => {
    const { state } = start(null, 'ch-1');
    const discarded = decider(decideDiscardPasskeyChallenge)
      .given(state)
      .when({ ...subject, challenge: 'ch-1', ceremony: 'registration' }, t0)
      .thenDecides();
    expect(discarded).toMatchObject({ events: [], changed: true });
    expect(discarded.state.passkeyChallenges).toEqual([]);
    expect(decideDiscardPasskeyChallenge(state, { ...subject, challenge: 'other', ceremony: 'registration' }, t0)).toMatchObject({ events: [], state });
    expect(decideDiscardPasskeyChallenge(null, { ...subject, challenge: 'ch-1', ceremony: 'registration' }, t0).changed).toBeUndefined();
  });

  it('start registration stores the challenge, marks PASSKEY pending and emits MfaMethodSetupStarted without the challenge', () => {
    const { state, events } = start(null, 'ch-1', t0, 'Laptop');
    expect(state.passkeyChallenges).toEqual([{ challenge: 'ch-1', ceremony: 'registration', expiresAt: at(TTL), name: 'Laptop', startedWithoutStepUp: true }]);
    expect(state.methods.PASSKEY.status).toBe('pending');
    expect(events).toEqual([{ type: 'MfaMethodSetupStarted', data: { userId: 'user-1', orgId: 'org-1', method: 'PASSKEY' } }]);
    expect(JSON.stringify(events)).not.toContain('ch-1');
  });

  it('a new registration challenge replaces the old one', () => {
    const first = start(null, 'ch-1').state;
    const second = start(first, 'ch-2', at(1000)).state;
    expect(second.passkeyChallenges.map((c) => c.challenge)).toEqual(['ch-2']);
    decider(complete).given(second).when('ch-1', at(2000)).thenThrows({ kind: 'validation', code: 'PASSKEY_REGISTRATION_FAILED' });
  });

  it('complete consumes the challenge, appends the passkey and enables PASSKEY as primary; events carry no key material', () => {
    const started = start(null, 'ch-1', t0, 'Laptop').state;
    const { state, events } = complete(started, 'ch-1', at(1000));
    expect(state.passkeyChallenges).toEqual([]);
    expect(state.passkeys).toEqual([{ ...passkey(), name: 'Laptop', createdAt: at(1000), lastUsedAt: null }]);
    expect(state.methods.PASSKEY.status).toBe('enabled');
    expect(state.primaryMethod).toBe('PASSKEY');
    expect(events.map((e) => e.type)).toEqual(['MfaMethodEnabled', 'MfaPrimaryMethodChanged']);
    expect(events[0].data).toEqual({ userId: 'user-1', orgId: 'org-1', method: 'PASSKEY', isPrimary: true, enabledMethods: ['PASSKEY'] });
    const text = JSON.stringify(events);
    expect(text).not.toContain('ch-1');
    expect(text).not.toContain('cHVibGljLWtleQ');
    // Reuse of the consumed challenge: refused.
    decider(decideCompletePasskeyRegistration)
      .given(state)
      .when({ ...subject, challenge: 'ch-1', passkey: passkey('cred-2') }, at(2000))
      .thenThrows({ kind: 'validation', code: 'PASSKEY_REGISTRATION_FAILED' });
  });

  it.each([
    ['no state', null, 'ch-1', 1000],
    ['an unknown challenge', 'started', 'other', 1000],
    ['an expired challenge', 'started', 'ch-1', TTL],
    ['an authentication challenge', 'auth', 'ch-a', 1000],
  ])('complete with %s is 400 PASSKEY_REGISTRATION_FAILED', (_name, kind, challenge, offset) => {
    const started = start(null, 'ch-1').state;
    const withAuth = complete(started, 'ch-1').state;
    const state =
      kind === null
        ? null
        : kind === 'auth'
          ? decideStartPasskeyAuthentication(withAuth, { ...subject, challenge: 'ch-a', expiresAt: at(TTL) }, t0).state
          : started;
    decider(decideCompletePasskeyRegistration)
      .given(state)
      .when({ ...subject, challenge: challenge as string, passkey: passkey('cred-9') }, at(offset as number))
      .thenThrows({ kind: 'validation', code: 'PASSKEY_REGISTRATION_FAILED' });
  });

  it('a credential the user already has is refused; a second one is appended and PASSKEY stays enabled', () => {
    const one = complete(start(null, 'ch-1').state, 'ch-1').state;
    const again = start(one, 'ch-2').state;
    expect(again.methods.PASSKEY.status).toBe('enabled');
    decider(decideCompletePasskeyRegistration)
      .given(again)
      .when({ ...subject, challenge: 'ch-2', passkey: passkey('cred-1') }, t0)
      .thenThrows({ kind: 'validation', code: 'PASSKEY_REGISTRATION_FAILED' });
    const two = complete(again, 'ch-2', t0, 'cred-2').state;
    expect(two.passkeys.map((p) => p.credentialId)).toEqual(['cred-1', 'cred-2']);
  });

  it('a disabled PASSKEY stays disabled (and re-enableable) while a new registration is pending; completing it enables', () => {
    const one = complete(start(null, 'ch-1').state, 'ch-1').state;
    const disabled = decideDisable(one, { ...subject, method: 'PASSKEY', enforcedByOrg: false }, t0).state;
    const again = start(disabled, 'ch-2').state;
    expect(again.methods.PASSKEY.status).toBe('disabled');
    const { state, events } = complete(again, 'ch-2', t0, 'cred-2');
    expect(state.methods.PASSKEY.status).toBe('enabled');
    expect(events[0].type).toBe('MfaMethodEnabled');
  });

  it('start authentication needs a passkey (404) and stores its challenge beside the registration one, without an event', () => {
    decider(decideStartPasskeyAuthentication)
      .given(null)
      .when({ ...subject, challenge: 'a', expiresAt: at(TTL) }, t0)
      .thenThrows({ kind: 'not_found', code: 'PASSKEY_NOT_FOUND' });
    const pending = start(null, 'ch-1').state;
    decider(decideStartPasskeyAuthentication)
      .given(pending)
      .when({ ...subject, challenge: 'a', expiresAt: at(TTL) }, t0)
      .thenThrows({ kind: 'not_found', code: 'PASSKEY_NOT_FOUND' });
    const enabled = start(complete(pending, 'ch-1').state, 'ch-2').state;
    const first = decider(decideStartPasskeyAuthentication)
      .given(enabled)
      .when({ ...subject, challenge: 'a1', expiresAt: at(TTL) }, t0)
      .thenDecides();
    const second = decider(decideStartPasskeyAuthentication)
      .given(first.state)
      .when({ ...subject, challenge: 'a2', expiresAt: at(TTL) }, t0)
      .thenDecides();
    expect(second.events).toEqual([]);
    expect(second.changed).toBe(true); // written without an event
    expect(second.state.passkeyChallenges.map((c) => [c.ceremony, c.challenge])).toEqual([
      ['registration', 'ch-2'],
      ['authentication', 'a2'],
    ]);
  });

  it('reset removes passkeys and challenges', () => {
    const enabled = start(complete(start(null, 'ch-1').state, 'ch-1').state, 'ch-2').state;
    const { state, events } = decider(decideReset)
      .given(enabled)
      .when({ ...subject, resetBy: 'user-1', orgIds: ['org-1'], clearLockout: false }, t0)
      .thenDecides();
    expect(state.passkeys).toEqual([]);
    expect(state.passkeyChallenges).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['MfaReset']);
    // Only a pending challenge left: still something to reset.
    expect(decideReset(start(null, 'x').state, { ...subject, resetBy: 'user-1', orgIds: ['org-1'], clearLockout: false }, t0).state.passkeyChallenges).toEqual(
      [],
    );
  });
});
