import { MFA_METHOD_NAMES, VERIFICATION_METHOD_NAMES } from '@mfa/contracts/events';

/** The factors a user can enable (the contracts' list). BACKUP_CODE is only ever a way to *verify*, never a method. */
export const MFA_METHODS = MFA_METHOD_NAMES;
export type MfaMethod = (typeof MFA_METHODS)[number];

/** What a login can be verified with: a method, a backup code or a remembered device. */
export const VERIFICATION_METHODS = VERIFICATION_METHOD_NAMES;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];

export function isMfaMethod(value: unknown): value is MfaMethod {
  return typeof value === 'string' && (MFA_METHODS as readonly string[]).includes(value);
}
