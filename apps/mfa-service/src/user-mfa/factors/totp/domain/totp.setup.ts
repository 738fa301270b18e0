import { AppError } from '@mfa/common/errors/app-error';
import type { Decision } from '@mfa/common/domain/decision';
import { enable, load, noFactorMeta, orgOf, PENDING_SETUP_TTL_MS, Subject, UserMfaState } from '../../../domain/user-mfa';
import type { SealedSecretData, TotpCheck, TotpState } from './totp.state';

export interface StartTotpSetup extends Subject {
  /** The new secret, already sealed with associated data bound to the user. */
  secret: SealedSecretData;
  /** HMAC hashes of the backup codes shown with this setup. */
  backupCodeHashes: string[];
  ttlMs?: number;
  /** Step-up was proven for this request (else the setup is cancelled once any method is enabled). */
  stepUpProven?: boolean;
}

const verificationFailed = (code: string): AppError => new AppError('validation', code, 'MFA setup verification failed');

/**
 * Begins (or restarts) a GOOGLE_AUTH setup: the method is pending until a code confirms it.
 * An enabled method is refused (409); a pending or disabled one is replaced by the new secret.
 */
export function decideStartTotpSetup(current: UserMfaState | null, command: StartTotpSetup, now: Date): Decision<UserMfaState> {
  const state = load(current, command);
  if (state.methods.GOOGLE_AUTH.status === 'enabled') {
    throw new AppError('conflict', 'METHOD_ALREADY_ENABLED', 'MFA method already enabled');
  }
  const totp: TotpState = {
    secret: command.secret,
    lastUsedStep: null,
    pendingExpiresAt: new Date(now.getTime() + (command.ttlMs ?? PENDING_SETUP_TTL_MS)),
    pendingBackupCodes: command.backupCodeHashes.map((hash) => ({ hash, usedAt: null })),
    startedWithoutStepUp: !command.stepUpProven,
  };
  return {
    state: { ...state, totp, methods: { ...state.methods, GOOGLE_AUTH: { status: 'pending', configuredAt: null, enabledAt: null } } },
    events: [{ type: 'MfaMethodSetupStarted', data: { userId: command.userId, orgId: orgOf(state, command), method: 'GOOGLE_AUTH' } }],
  };
}

export interface VerifyTotpSetup extends Subject {
  /** Checks the submitted code against the pending secret, given the last accepted step. */
  check: (totp: TotpState) => TotpCheck;
}

/**
 * Confirms a pending GOOGLE_AUTH setup with a valid code: the method becomes enabled (and
 * primary if it is the first), the code's step is remembered, the issued backup codes take effect.
 */
export function decideVerifyTotpSetup(current: UserMfaState | null, command: VerifyTotpSetup, now: Date): Decision<UserMfaState> {
  const state = load(current, command);
  const totp = state.totp;
  if (state.methods.GOOGLE_AUTH.status !== 'pending' || !totp || !totp.pendingExpiresAt) {
    throw verificationFailed('SETUP_NOT_PENDING');
  }
  if (totp.pendingExpiresAt.getTime() <= now.getTime()) throw verificationFailed('SETUP_EXPIRED');
  const result = command.check(totp);
  if (!result.ok) throw verificationFailed('VERIFICATION_FAILED');

  const replacedCodes = state.backupCodes.length > 0 && totp.pendingBackupCodes.length > 0;
  const withCodes: UserMfaState = {
    ...state,
    totp: { secret: totp.secret, lastUsedStep: result.step, pendingExpiresAt: null, pendingBackupCodes: [] },
    backupCodes: totp.pendingBackupCodes.length > 0 ? totp.pendingBackupCodes : state.backupCodes,
    backupCodesGeneratedAt: totp.pendingBackupCodes.length > 0 ? now : state.backupCodesGeneratedAt,
    factorMeta: { ...state.factorMeta, GOOGLE_AUTH: noFactorMeta() },
  };
  const decision = enable(withCodes, command, 'GOOGLE_AUTH', now, true);
  if (replacedCodes) {
    decision.events.push({
      type: 'BackupCodesRegenerated',
      data: { userId: command.userId, orgId: orgOf(state, command), count: totp.pendingBackupCodes.length },
    });
  }
  return decision;
}
