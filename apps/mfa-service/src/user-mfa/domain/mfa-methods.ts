import { MFA_METHODS, MfaMethod } from './mfa-method';
import type { MethodStatus } from './user-mfa';

export interface MfaMethodInfo {
  type: MfaMethod;
  name: string;
  description: string;
  /** False when the organization's policy does not allow the method. */
  isAvailable: boolean;
  /** Set up and verified (enabled now, or disabled but re-enableable). */
  isConfigured: boolean;
  isEnabled: boolean;
}

const DESCRIPTIONS: Record<MfaMethod, { name: string; description: string }> = {
  GOOGLE_AUTH: { name: 'Authenticator app', description: 'Six-digit codes from an authenticator app such as Google Authenticator' },
  MAGIC_LINK: { name: 'Magic link', description: 'A one-time sign-in link sent to your email address' },
  PASSKEY: { name: 'Passkey', description: 'A passkey or security key (WebAuthn) on your device' },
};

/** All three methods, in the contract's order, as GET /mfa/methods describes them. */
export function describeMfaMethods(statuses: Record<MfaMethod, MethodStatus>, allowedMethods: readonly MfaMethod[]): MfaMethodInfo[] {
  return MFA_METHODS.map((type) => ({
    type,
    ...DESCRIPTIONS[type],
    isAvailable: allowedMethods.includes(type),
    isConfigured: statuses[type] === 'enabled' || statuses[type] === 'disabled',
    isEnabled: statuses[type] === 'enabled',
  }));
}
