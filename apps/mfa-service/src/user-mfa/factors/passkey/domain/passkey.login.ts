import type { FactorLogin } from '../../../domain/login-factor';
import { isEnabled } from '../../../domain/user-mfa';
import { findPasskeyChallenge } from './passkey.setup';
import { counterAdvanced } from './passkey.state';

/** What the infrastructure concluded about a passkey assertion before the decision. */
export type PasskeyAssertionResult =
  | { ok: true; credentialId: string; newCounter: number; backedUp: boolean; userVerified: boolean }
  | { ok: false; reason: 'invalid_assertion' | 'counter_regression' };

/** `challenge` is the one the client signed (from its clientDataJSON), null when unreadable. */
export interface PasskeyLoginFactor {
  method: 'PASSKEY';
  challenge: string | null;
  assertion: PasskeyAssertionResult;
}

export const passkeyLogin: FactorLogin<PasskeyLoginFactor> = {
  family: 'passkey',
  canPresent: (state) => isEnabled(state, 'PASSKEY'),
  // `user` only when the authenticator verified the user (PIN, biometrics).
  assurance: (factor) => ({ acr: 'aal2', amr: factor.assertion.ok && factor.assertion.userVerified ? ['hwk', 'user'] : ['hwk'] }),
  check(state, factor, now) {
    const challenge = factor.challenge === null ? null : findPasskeyChallenge(state, factor.challenge, 'authentication', now);
    if (!challenge) {
      const stale = state.passkeyChallenges.some((c) => c.challenge === factor.challenge && c.ceremony === 'authentication');
      return { ok: false, reason: stale ? 'expired' : 'invalid_challenge', state };
    }
    // Consumed on first use, whatever the outcome: a challenge is single-use.
    const consumed = { ...state, passkeyChallenges: state.passkeyChallenges.filter((c) => c !== challenge) };
    const assertion = factor.assertion;
    if (!assertion.ok) return { ok: false, reason: assertion.reason, state: consumed };
    const passkey = consumed.passkeys.find((p) => p.credentialId === assertion.credentialId);
    if (!passkey) return { ok: false, reason: 'invalid_assertion', state: consumed };
    // Re-checked on the state being committed: a concurrent login may have moved the counter.
    if (!counterAdvanced(passkey.counter, assertion.newCounter)) return { ok: false, reason: 'counter_regression', state: consumed };
    const passkeys = consumed.passkeys.map((p) => (p === passkey ? { ...p, counter: assertion.newCounter, backedUp: assertion.backedUp, lastUsedAt: now } : p));
    return { ok: true, state: { ...consumed, passkeys }, authenticatorId: passkey.id, assurance: passkeyLogin.assurance(factor) };
  },
};
