import type { Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import { BackupCodes, CHALLENGE_TTL_MS, PasskeyStrategy, SecretBox } from '../factors';

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
];
