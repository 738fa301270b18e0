import type { Assurance } from '../../../domain/assurance';
import type { VerificationMethod } from '../../../domain/mfa-method';

/**
 * A remembered device ("remember this device"): only the SHA-256 hash of its token is kept.
 * It stands in for the factor that created it until it expires, is revoked, the user's MFA is
 * reset, or that factor is removed.
 */
export interface TrustedDeviceState {
  /** Public id (`td-…`), unrelated to the token. */
  id: string;
  tokenHash: string;
  name: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** As granted (createdAt + the policy's days then); a lower policy later shortens it (trusted-devices.ts). */
  expiresAt: Date;
  /** The factor verified when the device was remembered: its method, authenticator id and `acr`. */
  method: Exclude<VerificationMethod, 'TRUSTED_DEVICE'>;
  authenticatorId: string;
  acr: Assurance['acr'];
}
