import type { LoginPresenter } from '../login-presenter';
import type { TotpLoginFactor } from './domain/totp.login';
import type { SecretBox } from '../secret-box';
import { totpCodeCheck } from './totp.code-check';

export const totpLoginPresenter = (secrets: SecretBox): LoginPresenter<TotpLoginFactor> => ({
  present: async ({ userId, code, now }) => ({ method: 'GOOGLE_AUTH', check: totpCodeCheck(secrets, userId, code, now) }),
});
