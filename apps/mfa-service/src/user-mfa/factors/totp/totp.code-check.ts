import type { TotpCheck, TotpState } from './domain/totp.state';
import { SecretBox, totpSecretAad } from '../secret-box';
import { verifyTotp } from './totp';

/**
 * The check a TOTP decision runs on the state it commits on (setup confirmation and login alike):
 * the secret is opened only there, so a concurrent request that commits first makes the code's
 * second use fail when the store re-decides.
 */
export const totpCodeCheck =
  (secrets: SecretBox, userId: string, code: string, now: Date) =>
  (totp: TotpState): TotpCheck =>
    verifyTotp({ secret: secrets.open(totp.secret, totpSecretAad(userId)), code, now, lastUsedStep: totp.lastUsedStep });
