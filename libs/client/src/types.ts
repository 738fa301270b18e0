/** Request and response types of mfa-service's HTTP API (docs/openapi.json is the reference). */

export type MfaMethod = 'GOOGLE_AUTH' | 'MAGIC_LINK' | 'PASSKEY';
export type VerificationMethod = MfaMethod | 'BACKUP_CODE' | 'TRUSTED_DEVICE';

export interface MfaStatus {
  isEnabled: boolean;
  isRequired: boolean;
  isEnforced: boolean;
  enabledMethods: MfaMethod[];
  primaryMethod: MfaMethod | null;
  setupRequired: boolean;
  enforcementDeadline: string | null;
  exempt: boolean;
  requiredBy: 'organization' | 'user' | null;
  /** Every organization that enforces MFA on the user. */
  enforcedBy: string[];
  backupCodesRemaining: number;
}

export interface MfaMethodInfo {
  type: MfaMethod;
  name: string;
  description: string;
  isAvailable: boolean;
  isConfigured: boolean;
  isEnabled: boolean;
}

export interface SetupRequest {
  mfaType: MfaMethod;
  /** MAGIC_LINK: address to send the link to (defaults to the token's email). */
  email?: string;
  deviceInfo?: { name?: string; type?: string };
}

export interface TotpSetup {
  secret: string;
  otpauthUrl: string;
  qrCode: string;
  backupCodes: string[];
}
export interface MagicLinkSetup {
  email: string;
  verificationRequired: true;
}
/** WebAuthn PublicKeyCredentialCreationOptionsJSON, for navigator.credentials.create(). */
export interface PasskeySetup {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  pubKeyCredParams: Array<{ alg: number; type: string }>;
  timeout?: number;
  excludeCredentials?: Array<{ id: string; type: string; transports?: string[] }>;
  authenticatorSelection?: Record<string, unknown>;
  attestation?: string;
  [member: string]: unknown;
}
export interface SetupResults {
  GOOGLE_AUTH: TotpSetup;
  MAGIC_LINK: MagicLinkSetup;
  PASSKEY: PasskeySetup;
}

export type VerifySetupRequest =
  | { mfaType: 'GOOGLE_AUTH'; code: string }
  | { mfaType: 'MAGIC_LINK' | 'PASSKEY'; code?: string; credential?: Record<string, unknown> };

/** "Remember this device": a deviceToken comes back when every organization of the user allows it. */
export interface RememberDevice {
  rememberDevice?: boolean;
  /** 1–64 printable characters once trimmed. */
  deviceName?: string;
}

export type VerifyLoginRequest =
  | ({ mfaType: 'GOOGLE_AUTH' | 'BACKUP_CODE'; code: string } & RememberDevice)
  | ({ mfaType: 'MAGIC_LINK'; token: string } & RememberDevice)
  | ({ mfaType: 'PASSKEY'; credential: Record<string, unknown> } & RememberDevice)
  /** `token`: a deviceToken from an earlier verify-login with rememberDevice. */
  | { mfaType: 'TRUSTED_DEVICE'; token: string };

interface VerifiedLogin {
  verified: true;
  method: VerificationMethod;
  /** ES256 JWT; verify with the keys at /.well-known/jwks.json. */
  mfaToken: string;
  expiresAt: string;
}
/** With the device fields when rememberDevice was asked and allowed (deviceToken is shown once). */
export type VerifyLoginResult =
  | VerifiedLogin
  | (VerifiedLogin & { method: Exclude<VerificationMethod, 'TRUSTED_DEVICE'>; deviceToken: string; deviceId: string; deviceExpiresAt: string });

export interface PasskeyAuthOptions {
  challenge: string;
  rpId: string;
  userVerification: 'preferred' | 'required';
  timeout: number;
  allowCredentials: Array<{ id: string; type: 'public-key'; transports?: string[] }>;
}

export interface CompletePasskeyRegistrationRequest {
  /** RegistrationResponseJSON from navigator.credentials.create(). */
  credential: Record<string, unknown>;
  challenge: string;
}

export type EnforceOrgMfaRequest =
  | { enforced: true; gracePeriodDays?: number; allowedMethods?: MfaMethod[]; rememberDeviceDays?: number }
  | { enforced: false };

export interface OrgPolicy {
  orgId: string;
  enforced: boolean;
  enforcedAt: string | null;
  enforcedBy: string | null;
  gracePeriodDays: number;
  enforcementDeadline: string | null;
  allowedMethods: MfaMethod[];
  /** 0–90; 0 = devices are not remembered. */
  rememberDeviceDays: number;
  exemptions: number;
  members: { total: number; compliant: number; pending: number; exempt: number };
}

export type ComplianceStatus = 'compliant' | 'pending' | 'exempt';

/** Enabled factors of each kind (e.g. to find members whose only factor is email). */
export interface MethodCounts {
  passkeys: number;
  authenticatorApps: number;
  emailAddresses: number;
  backupCodesRemaining: number;
}

export interface MemberPage {
  items: Array<{
    userId: string;
    status: ComplianceStatus;
    isEnabled: boolean;
    enabledMethods: MfaMethod[];
    methodCounts: MethodCounts;
    exempt: boolean;
    exemptUntil: string | null;
  }>;
  nextCursor: string | null;
}

export interface ListMembersQuery {
  status?: ComplianceStatus;
  cursor?: string;
  limit?: number;
}

export interface GrantExemptionRequest {
  reason: string;
  expiresAt?: string;
}

interface AuthenticatorBase {
  /** Whether its method is enabled (backup codes: while any method is). */
  enabled: boolean;
  createdAt: string | null;
  lastUsedAt: string | null;
}
/** One entry of GET /mfa/authenticators, discriminated by `type`; never a secret, key, hash or full address. */
export type Authenticator =
  | (AuthenticatorBase & {
      /** `pk-…`, stable per passkey. */
      id: string;
      type: 'PASSKEY';
      name: string | null;
      createdAt: string;
      deviceType: 'singleDevice' | 'multiDevice';
      backedUp: boolean;
      transports: string[];
      /** From the AAGUID when known. */
      provider: string | null;
    })
  | (AuthenticatorBase & { id: 'totp'; type: 'GOOGLE_AUTH'; name: string | null })
  | (AuthenticatorBase & { id: 'email'; type: 'MAGIC_LINK'; name: string | null; /** Masked. */ email: string })
  | (AuthenticatorBase & { id: 'backup-codes'; type: 'BACKUP_CODES'; name: null; remaining: number; generatedAt: string | null });
export type AuthenticatorType = Authenticator['type'];

/** A remembered device still accepted (expiry under today's policy). */
export interface TrustedDevice {
  /** `td-…` */
  id: string;
  name: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
}

export interface Jwks {
  keys: Array<{ kty: string; kid: string; crv?: string; x?: string; y?: string; alg?: string; use?: string }>;
}

export interface Readiness {
  status: 'ok' | 'unavailable';
  /** database, kafka: up / down; jwks when used. */
  checks: Record<string, 'up' | 'down'>;
  outbox: { backlogEvents: number; oldestUnpublishedAgeSeconds: number };
}
