import type { Assurance, FactorLogin } from '../../../domain/login-factor';
import { EMAIL_AUTHENTICATOR_ID } from '../../../domain/authenticator-ids';
import { isEnabled } from '../../../domain/user-mfa';

/** A login link's token, as its SHA-256 hash (the only form stored). */
export interface MagicLinkLoginFactor {
  method: 'MAGIC_LINK';
  tokenHash: string;
}

const assurance = (): Assurance => ({ acr: 'aal1', amr: ['email'] });

export const magicLinkLogin: FactorLogin<MagicLinkLoginFactor> = {
  family: 'magicLink',
  canPresent: (state) => isEnabled(state, 'MAGIC_LINK'),
  assurance,
  check(state, factor, now) {
    const link = state.magicLinks.find((l) => l.tokenHash === factor.tokenHash);
    // A setup link is not a login factor: refused, and left as it was for the setup it belongs to.
    if (!link || link.purpose !== 'login') return { ok: false, reason: 'invalid_token', state };
    const consumed = { ...state, magicLinks: state.magicLinks.filter((l) => l !== link) };
    if (link.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired', state: consumed };
    return {
      ok: true,
      state: { ...consumed, factorMeta: { ...consumed.factorMeta, MAGIC_LINK: { ...consumed.factorMeta.MAGIC_LINK, lastUsedAt: now } } },
      authenticatorId: EMAIL_AUTHENTICATOR_ID,
      assurance: assurance(),
    };
  },
};
