/** The factors a user can enable. BACKUP_CODE is only ever a way to *verify*, never a method. */
export const MFA_METHODS = ['GOOGLE_AUTH', 'MAGIC_LINK', 'PASSKEY'] as const;
export type MfaMethod = (typeof MFA_METHODS)[number];

export const VERIFICATION_METHODS = [...MFA_METHODS, 'BACKUP_CODE'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];

export function isMfaMethod(value: unknown): value is MfaMethod {
  return typeof value === 'string' && (MFA_METHODS as readonly string[]).includes(value);
}
