import type { Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import { BackupCodes, CHALLENGE_TTL_MS, PasskeyStrategy, SecretBox } from '../factors';
import { backupCodeLoginPresenter } from '../factors/backup-codes/backup-codes.login-presenter';
import type { LoginPresenters } from '../factors/login-presenter';
import { magicLinkLoginPresenter } from '../factors/magic-link/magic-link.login-presenter';
import { passkeyLoginPresenter } from '../factors/passkey/passkey.login-presenter';
import { totpLoginPresenter } from '../factors/totp/totp.login-presenter';
import { trustedDeviceLoginPresenter } from '../factors/trusted-device/trusted-device.login-presenter';
import { UserMfaRepository } from './user-mfa.repository';

/** Injection token of every factor's login presenter (verify-login dispatches through them). */
export const LOGIN_PRESENTERS = Symbol('LOGIN_PRESENTERS');

/** The factor strategies, configured from AppConfig (keys and pepper come from the environment). */
export const FACTOR_PROVIDERS: Provider[] = [
  {
    provide: SecretBox,
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => new SecretBox(config.encryption),
  },
  {
    provide: BackupCodes,
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => new BackupCodes({ pepper: config.backupCodes.pepper }),
  },
  {
    provide: PasskeyStrategy,
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) =>
      new PasskeyStrategy({
        rpId: config.webauthn.rpId,
        rpName: config.webauthn.rpName,
        origins: config.webauthn.origins,
        userVerification: config.webauthn.userVerification,
        timeoutMs: CHALLENGE_TTL_MS,
      }),
  },
  {
    provide: LOGIN_PRESENTERS,
    inject: [SecretBox, BackupCodes, PasskeyStrategy, UserMfaRepository],
    useFactory: (secrets: SecretBox, backupCodes: BackupCodes, passkeys: PasskeyStrategy, users: UserMfaRepository): LoginPresenters => ({
      GOOGLE_AUTH: totpLoginPresenter(secrets),
      BACKUP_CODE: backupCodeLoginPresenter(backupCodes),
      MAGIC_LINK: magicLinkLoginPresenter(),
      PASSKEY: passkeyLoginPresenter(passkeys, async (userId) => (await users.load(userId)).state),
      TRUSTED_DEVICE: trustedDeviceLoginPresenter(),
    }),
  },
];
