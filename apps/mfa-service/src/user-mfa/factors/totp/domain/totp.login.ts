import type { Assurance, FactorLogin } from '../../../domain/login-factor';
import { TOTP_AUTHENTICATOR_ID } from '../../../domain/authenticator-ids';
import { isEnabled } from '../../../domain/user-mfa';
import type { TotpCheck, TotpState } from './totp.state';

/** A TOTP code at login; `check` opens the secret outside the domain and compares the code. */
export interface TotpLoginFactor {
  method: 'GOOGLE_AUTH';
  check: (totp: TotpState) => TotpCheck;
}

const assurance = (): Assurance => ({ acr: 'aal2', amr: ['otp'] });

export const totpLogin: FactorLogin<TotpLoginFactor> = {
  family: 'codes',
  canPresent: (state) => isEnabled(state, 'GOOGLE_AUTH'),
  assurance,
  check(state, factor, now) {
    const totp = state.totp;
    if (!totp || totp.pendingExpiresAt !== null) return { ok: false, reason: 'invalid_code', state };
    const result = factor.check(totp);
    if (!result.ok) return { ok: false, reason: result.reason === 'replayed_code' ? 'replayed_code' : 'invalid_code', state };
    // Only later steps are accepted from now on: the same code can never be accepted twice.
    return {
      ok: true,
      state: {
        ...state,
        totp: { ...totp, lastUsedStep: result.step },
        factorMeta: { ...state.factorMeta, GOOGLE_AUTH: { ...state.factorMeta.GOOGLE_AUTH, lastUsedAt: now } },
      },
      authenticatorId: TOTP_AUTHENTICATOR_ID,
      assurance: assurance(),
    };
  },
};
