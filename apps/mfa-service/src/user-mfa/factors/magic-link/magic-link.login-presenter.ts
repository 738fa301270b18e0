import type { LoginPresenter } from '../login-presenter';
import type { MagicLinkLoginFactor } from './domain/magic-link.login';
import { hashMagicLinkToken } from './magic-link-token';

export const magicLinkLoginPresenter = (): LoginPresenter<MagicLinkLoginFactor> => ({
  // Not shaped like a token we issue: cannot match any stored hash (still a counted failure).
  present: async ({ token }) => ({ method: 'MAGIC_LINK', tokenHash: hashMagicLinkToken(token) ?? 'malformed' }),
});
