import { decider } from '../../../../../../../test/harness/decider-spec';
import { at, subject, t0, totpEnabled } from '../../../../../../../test/harness/user-mfa-fixtures';
import { decideReset } from '../../../domain/reset';
import { decideActivateMagicLink, decideRequestMagicLink } from './magic-link.setup';

describe('UserMfa: magic link', () => {
  const link = (purpose: 'setup' | 'login', tokenHash = `hash-${purpose}`, now = t0) => ({
    ...subject,
    purpose,
    email: 'u@example.com',
    tokenHash,
    link: `https://app.example/activate?token=tok-${tokenHash}`,
    expiresAt: at(10 * 60_000 + (now.getTime() - t0.getTime())),
  });

  it('given nothing, when a setup link is requested, then MAGIC_LINK is pending, only the hash is kept, and the link goes only into MagicLinkRequested', () => {
    const { state, events } = decider(decideRequestMagicLink).given(null).when(link('setup'), t0).thenDecides();
    expect(state.methods.MAGIC_LINK.status).toBe('pending');
    expect(state.email).toBe('u@example.com');
    expect(state.magicLinks).toEqual([
      { tokenHash: 'hash-setup', purpose: 'setup', email: 'u@example.com', expiresAt: at(600_000), startedWithoutStepUp: true },
    ]);
    expect(events).toEqual([
      { type: 'MfaMethodSetupStarted', data: { userId: 'user-1', orgId: 'org-1', method: 'MAGIC_LINK' } },
      {
        type: 'MagicLinkRequested',
        data: {
          userId: 'user-1',
          email: 'u@example.com',
          purpose: 'setup',
          link: 'https://app.example/activate?token=tok-hash-setup',
          expiresAt: at(600_000).toISOString(),
        },
      },
    ]);
  });

  it('a new link for the same purpose replaces the older one', () => {
    const first = decideRequestMagicLink(null, link('setup', 'a'), t0).state;
    const second = decideRequestMagicLink(first, link('setup', 'b'), t0).state;
    expect(second.magicLinks.map((l) => l.tokenHash)).toEqual(['b']);
    decider(decideActivateMagicLink)
      .given(second)
      .when({ ...subject, tokenHash: 'a' }, t0)
      .thenThrows({ kind: 'validation', code: 'INVALID_TOKEN', message: 'Invalid or expired token' });
  });

  it('activating an outstanding setup link consumes it and enables MAGIC_LINK as primary; reuse is refused', () => {
    const requested = decideRequestMagicLink(null, link('setup'), t0).state;
    const { state, events } = decider(decideActivateMagicLink)
      .given(requested)
      .when({ ...subject, tokenHash: 'hash-setup' }, at(60_000))
      .thenDecides();
    expect(state.methods.MAGIC_LINK).toEqual({ status: 'enabled', configuredAt: at(60_000), enabledAt: at(60_000) });
    expect(state.primaryMethod).toBe('MAGIC_LINK');
    expect(state.magicLinks).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['MfaMethodEnabled', 'MfaPrimaryMethodChanged']);
    decider(decideActivateMagicLink)
      .given(state)
      .when({ ...subject, tokenHash: 'hash-setup' }, at(60_000))
      .thenThrows({ kind: 'validation', code: 'INVALID_TOKEN' });
  });

  it('an expired, unknown or login-purpose token is refused with INVALID_TOKEN', () => {
    const requested = decideRequestMagicLink(null, link('setup'), t0).state;
    decider(decideActivateMagicLink)
      .given(requested)
      .when({ ...subject, tokenHash: 'hash-setup' }, at(10 * 60_000))
      .thenThrows({ kind: 'validation', code: 'INVALID_TOKEN' });
    decider(decideActivateMagicLink)
      .given(requested)
      .when({ ...subject, tokenHash: 'nope' }, t0)
      .thenThrows({ kind: 'validation', code: 'INVALID_TOKEN' });
    decider(decideActivateMagicLink)
      .given(null)
      .when({ ...subject, tokenHash: 'nope' }, t0)
      .thenThrows({ kind: 'validation', code: 'INVALID_TOKEN' });
    const enabled = decideActivateMagicLink(requested, { ...subject, tokenHash: 'hash-setup' }, t0).state;
    const login = decider(decideRequestMagicLink).given(enabled).when(link('login'), t0).thenDecides();
    expect(login.events.map((e) => e.type)).toEqual(['MagicLinkRequested']);
    decider(decideActivateMagicLink)
      .given(login.state)
      .when({ ...subject, tokenHash: 'hash-login' }, t0)
      .thenThrows({ kind: 'validation', code: 'INVALID_TOKEN' });
  });

  it('a second MAGIC_LINK setup when it is already enabled is a 409; TOTP keeps its primary when MAGIC_LINK is added', () => {
    const base = totpEnabled();
    const requested = decideRequestMagicLink(base, link('setup'), t0).state;
    const { state, events } = decider(decideActivateMagicLink)
      .given(requested)
      .when({ ...subject, tokenHash: 'hash-setup' }, t0)
      .thenDecides();
    expect(state.primaryMethod).toBe('GOOGLE_AUTH');
    expect(state.enabledMethods).toEqual(['GOOGLE_AUTH', 'MAGIC_LINK']);
    expect(events.map((e) => e.type)).toEqual(['MfaMethodEnabled']);
    decider(decideRequestMagicLink).given(state).when(link('setup'), t0).thenThrows({ kind: 'conflict', code: 'METHOD_ALREADY_ENABLED' });
  });

  it('reset removes outstanding links and the stored address', () => {
    const requested = decideRequestMagicLink(null, link('setup'), t0).state;
    const { state, events } = decider(decideReset)
      .given(requested)
      .when({ ...subject, resetBy: 'user-1', orgIds: ['org-1'], clearLockout: false }, t0)
      .thenDecides();
    expect(state.magicLinks).toEqual([]);
    expect(state.email).toBeNull();
    expect(events.map((e) => e.type)).toEqual(['MfaReset']);
  });
});
