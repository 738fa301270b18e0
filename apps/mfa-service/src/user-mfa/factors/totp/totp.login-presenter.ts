import type { LoginPresenter } from '../login-presenter';
import type { TotpLoginFactor } from './domain/totp.login';
import { SecretBox, totpSecretAad } from '../secret-box';
import { verifyTotp } from './totp';

/** The code is compared inside the decision, against the secret it commits on (opened only there). */
export const totpLoginPresenter = (secrets: SecretBox): LoginPresenter<TotpLoginFactor> => ({
  present: async ({ userId, code, now }) => ({
    method: 'GOOGLE_AUTH',
    check: (totp) => verifyTotp({ secret: secrets.open(totp.secret, totpSecretAad(userId)), code, now, lastUsedStep: totp.lastUsedStep }),
  }),
});
