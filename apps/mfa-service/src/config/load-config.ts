import { AppConfig, loadPlatformConfig } from '@mfa/common/config/app-config';
import type { Env } from '@mfa/common/config/env-readers';
import { loadMfaSettings } from './mfa-settings';

/**
 * The service's whole configuration: the platform's (libs/common) and the MFA settings, read once
 * at start-up. A bad or missing variable stops the process with a ConfigError that names it.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const platform = loadPlatformConfig(env);
  return { ...platform, ...loadMfaSettings(env, platform.nodeEnv) };
}
