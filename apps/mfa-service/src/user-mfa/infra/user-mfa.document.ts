import type { FactorMeta, MagicLinkState, MethodState, PasskeyChallengeState, PasskeyState, TotpState, TrustedDeviceState } from '../domain/user-mfa';
import type { MfaMethod } from '../domain/mfa-method';

export const USER_MFA_COLLECTION = 'user_mfa';

/**
 * The stored shape of one user's MFA state (key: userId). `orgId` is written by membership
 * only; the UserMfa aggregate writes everything else (plus the AggregateStore bookkeeping).
 * A document with `orgId` but no `version` was pre-created by membership and counts as new.
 */
export interface UserMfaDocument {
  _id: string;
  orgId: string | null;
  enabledMethods: MfaMethod[];
  primaryMethod: MfaMethod | null;
  /** Per-method status with configuredAt / enabledAt. */
  methods?: Record<MfaMethod, MethodState>;
  /** TOTP secret sealed with AES-256-GCM (AAD `totp:<userId>`), last accepted step, pending setup. */
  totp?: TotpState | null;
  /** HMAC-SHA-256 hashes (peppered) of the active backup codes. */
  backupCodes?: Array<{ hash: string; usedAt: Date | null }>;
  /** MAGIC_LINK: the address links are sent to. */
  email?: string | null;
  /** Outstanding magic links: SHA-256 token hashes only, with purpose, address and expiry. */
  magicLinks?: MagicLinkState[];
  /** The same hashes as a flat array: the lookup field for activation (`{magicLinkHashes: hash}`). */
  magicLinkHashes?: string[];
  /** Registered passkeys: credential id, COSE public key (public material), counter, metadata. */
  passkeys?: PasskeyState[];
  /** Outstanding WebAuthn challenges (one per ceremony, 5 minutes). */
  passkeyChallenges?: PasskeyChallengeState[];
  /** The passkeys' credential ids as a flat array (for operators; uniqueness lives in passkey_credentials). */
  passkeyCredentialIds?: string[];
  /** Name and last use of the authenticator app and the email address (absent on older documents). */
  factorMeta?: { GOOGLE_AUTH: FactorMeta; MAGIC_LINK: FactorMeta };
  backupCodesGeneratedAt?: Date | null;
  /**
   * Remembered devices: SHA-256 hashes of their tokens only, with expiry and the factor that created
   * them. No lookup index: verify-login carries the user's bearer token, so a device is found on
   * that user's own document (another user's token simply matches nothing there).
   */
  trustedDevices?: TrustedDeviceState[];
  /** When a magic link or challenge here may be dropped (expired-entries.ts); the sweep's lookup field. */
  pruneAt?: Date | null;
  version: number;
}

/** Which user holds each WebAuthn credential id: `_id` uniqueness makes ids unique across users. */
export const PASSKEY_CREDENTIALS_COLLECTION = 'passkey_credentials';

export interface PasskeyCredentialClaim {
  /** The credential id (base64url). */
  _id: string;
  userId: string;
  claimedAt: Date;
}
