import type { StoredCode } from '../../backup-codes/domain/backup-codes.state';

/** An AES-256-GCM ciphertext with its key id (the shape of the factors' SealedSecret). */
export interface SealedSecretData {
  keyId: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

export interface TotpState {
  secret: SealedSecretData;
  /** Last accepted TOTP time step: a code is accepted only for a later step (no replay). */
  lastUsedStep: number | null;
  /** While the setup is pending: when it expires. Null once verified. */
  pendingExpiresAt: Date | null;
  /** Backup codes issued with a pending setup; they replace `backupCodes` when it is verified. */
  pendingBackupCodes: StoredCode[];
  /** The pending setup was started without step-up: cancelled once any method becomes enabled. */
  startedWithoutStepUp?: boolean;
}

/** A pending setup started without step-up ends (fails as expired) once another method is enabled. */
export function cancelUnprovenTotpSetup(totp: TotpState | null, now: Date): TotpState | null {
  if (!totp?.startedWithoutStepUp || totp.pendingExpiresAt === null) return totp;
  return { secret: totp.secret, lastUsedStep: totp.lastUsedStep, pendingExpiresAt: now, pendingBackupCodes: [] };
}

/** The outcome of checking a TOTP code against a stored secret (the infrastructure opens the secret). */
export type TotpCheck = { ok: true; step: number } | { ok: false; reason: string };
