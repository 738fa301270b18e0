import type { UserMfaState } from '../../domain/user-mfa';
import type { LoginPresenter } from '../login-presenter';
import { findPasskeyChallenge } from './domain/passkey.setup';
import type { PasskeyAssertionResult, PasskeyLoginFactor } from './domain/passkey.login';
import { assertCredentialShape, clientDataChallenge, type PasskeyVerifier } from './passkey';

/**
 * Verifies the assertion against this user's outstanding authentication challenge and this
 * user's credential (async crypto); the decision then consumes the challenge and re-checks
 * the counter on the state it commits.
 */
export const passkeyLoginPresenter = (
  passkeys: PasskeyVerifier,
  load: (userId: string) => Promise<UserMfaState | null>,
): LoginPresenter<PasskeyLoginFactor> => ({
  async present({ userId, credential, now }) {
    assertCredentialShape(credential);
    const challenge = clientDataChallenge(credential);
    const state = await load(userId);
    const stored = state?.passkeys.find((p) => p.credentialId === credential.id);
    // Another user's credential, or one never registered: the assertion is not this user's.
    if (!stored || challenge === null || !findPasskeyChallenge(state, challenge, 'authentication', now)) {
      return { method: 'PASSKEY', challenge, assertion: { ok: false, reason: 'invalid_assertion' } };
    }
    let assertion: PasskeyAssertionResult;
    try {
      const verified = await passkeys.verifyAuthentication({ response: credential, expectedChallenge: challenge, credential: stored });
      assertion = {
        ok: true,
        credentialId: verified.credentialId,
        newCounter: verified.newCounter,
        backedUp: verified.backedUp,
        userVerified: verified.userVerified,
      };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      assertion = { ok: false, reason: code === 'PASSKEY_COUNTER_REGRESSION' ? 'counter_regression' : 'invalid_assertion' };
    }
    return { method: 'PASSKEY', challenge, assertion };
  },
});
