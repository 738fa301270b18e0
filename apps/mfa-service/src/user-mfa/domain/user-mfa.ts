import { AppError } from '@mfa/common/errors/app-error';
import type { Decision, DomainEvent } from '@mfa/common/domain/decision';
import type { MfaMethod } from './mfa-method';
import { noVerification, VerificationState } from './verification-state';
import type { StoredCode } from '../factors/backup-codes/domain/backup-codes.state';
import { withoutUnprovenSetupLinks, type MagicLinkState } from '../factors/magic-link/domain/magic-link.state';
import { withoutUnprovenRegistrations, type PasskeyChallengeState, type PasskeyState } from '../factors/passkey/domain/passkey.state';
import { cancelUnprovenTotpSetup, type TotpState } from '../factors/totp/domain/totp.state';
import type { TrustedDeviceState } from '../factors/trusted-device/domain/trusted-device.state';

export { noVerification } from './verification-state';
export type { VerificationState } from './verification-state';
// Each factor's part of the state lives in its folder (factors/<factor>/domain).
export type { StoredCode } from '../factors/backup-codes/domain/backup-codes.state';
export type { MagicLinkPurposeName, MagicLinkState } from '../factors/magic-link/domain/magic-link.state';
export type { PasskeyCeremony, PasskeyChallengeState, PasskeyState } from '../factors/passkey/domain/passkey.state';
export type { SealedSecretData, TotpCheck, TotpState } from '../factors/totp/domain/totp.state';
export type { TrustedDeviceState } from '../factors/trusted-device/domain/trusted-device.state';

/**
 * One user's MFA factors (aggregate key: userId). Pure data; enable, disable and primary are
 * decided below, reset in reset.ts, and each factor's setup and login check in its folder
 * (factors/<factor>/domain). Secrets arrive here already sealed and codes already hashed: the domain
 * never sees a plaintext secret, and no event it produces carries a secret, code or hash
 * (the one exception: MagicLinkRequested carries the link to deliver, for the notification service).
 */
export type MethodStatus = 'none' | 'pending' | 'enabled' | 'disabled';

export interface MethodState {
  status: MethodStatus;
  /** When the method was last configured (setup verified). */
  configuredAt: Date | null;
  /** When the method was last enabled. */
  enabledAt: Date | null;
}

/** Name and last use of a single-instance factor (the authenticator app, the email address). */
export interface FactorMeta {
  name: string | null;
  lastUsedAt: Date | null;
}

export interface UserMfaState {
  userId: string;
  /** The user's organization, owned by membership: read, never written by this aggregate. */
  orgId: string | null;
  methods: Record<MfaMethod, MethodState>;
  /** In the order the methods were enabled. */
  enabledMethods: MfaMethod[];
  /** Null when nothing is enabled; otherwise one of enabledMethods. */
  primaryMethod: MfaMethod | null;
  totp: TotpState | null;
  backupCodes: StoredCode[];
  /** The address magic links are sent to (set by MAGIC_LINK setup). */
  email: string | null;
  /** Outstanding magic links (at most one per purpose). */
  magicLinks: MagicLinkState[];
  /** Registered passkeys, in registration order. */
  passkeys: PasskeyState[];
  /** Outstanding passkey challenges (a new one replaces the old one of its ceremony). */
  passkeyChallenges: PasskeyChallengeState[];
  verification: VerificationState;
  /** Name and last use of the authenticator app and of the email address. */
  factorMeta: { GOOGLE_AUTH: FactorMeta; MAGIC_LINK: FactorMeta };
  /** When the current backup codes were issued (null: unknown, stored before it was recorded). */
  backupCodesGeneratedAt: Date | null;
  /** Remembered devices, oldest first (at most MAX_TRUSTED_DEVICES). */
  trustedDevices: TrustedDeviceState[];
}

/** A pending setup lives this long by default (MFA_SETUP_TTL_SECONDS). */
export const PENDING_SETUP_TTL_MS = 10 * 60_000;

export const noMethod = (): MethodState => ({ status: 'none', configuredAt: null, enabledAt: null });
export const noFactorMeta = (): FactorMeta => ({ name: null, lastUsedAt: null });

export function newUserMfa(userId: string, orgId: string | null = null): UserMfaState {
  return {
    userId,
    orgId,
    methods: { GOOGLE_AUTH: noMethod(), MAGIC_LINK: noMethod(), PASSKEY: noMethod() },
    enabledMethods: [],
    primaryMethod: null,
    totp: null,
    backupCodes: [],
    email: null,
    magicLinks: [],
    passkeys: [],
    passkeyChallenges: [],
    verification: noVerification(),
    factorMeta: { GOOGLE_AUTH: noFactorMeta(), MAGIC_LINK: noFactorMeta() },
    backupCodesGeneratedAt: null,
    trustedDevices: [],
  };
}

/** Who the events are about: the user and the organization the command was issued in. */
export interface Subject {
  userId: string;
  /** The organization to put on events (from the request; falls back to the stored one). */
  orgId: string | null;
  /** When the caller's bearer token proves a second factor (its `auth_time`, for step-up), if it does. */
  tokenMfaAt?: Date | null;
  /** The caller's session id (`sid`): a verify-login proves step-up for this session only. */
  sessionId?: string | null;
}

export const orgOf = (state: UserMfaState, subject: Subject): string | null => subject.orgId ?? state.orgId;
export const load = (current: UserMfaState | null, subject: Subject): UserMfaState => current ?? newUserMfa(subject.userId, subject.orgId);

export const methodNotConfigured = (): AppError => new AppError('validation', 'METHOD_NOT_CONFIGURED', 'MFA method is not configured');
export const methodNotEnabled = (): AppError => new AppError('validation', 'METHOD_NOT_ENABLED', 'MFA method is not enabled');

export function isConfigured(state: UserMfaState | null, method: MfaMethod): boolean {
  const status = state?.methods[method].status;
  return status === 'enabled' || status === 'disabled';
}

export function isEnabled(state: UserMfaState | null, method: MfaMethod): boolean {
  return state?.methods[method].status === 'enabled';
}

/**
 * Setups of other methods started without step-up (while the user had no method) end the moment
 * a method becomes enabled: whoever started them proved nothing, and from now on a setup needs
 * step-up. They then fail like expired ones (TOTP expired; setup link and registration challenge gone).
 */
function cancelUnprovenSetups(state: UserMfaState, enabling: MfaMethod, now: Date): UserMfaState {
  return {
    ...state,
    totp: enabling === 'GOOGLE_AUTH' ? state.totp : cancelUnprovenTotpSetup(state.totp, now),
    magicLinks: enabling === 'MAGIC_LINK' ? state.magicLinks : withoutUnprovenSetupLinks(state.magicLinks),
    passkeyChallenges: enabling === 'PASSKEY' ? state.passkeyChallenges : withoutUnprovenRegistrations(state.passkeyChallenges),
  };
}

/** Marks `method` enabled: appended to enabledMethods, primary when it is the first. */
export function enable(current: UserMfaState, subject: Subject, method: MfaMethod, now: Date, configured: boolean): Decision<UserMfaState> {
  const state = cancelUnprovenSetups(current, method, now);
  const enabledMethods = [...state.enabledMethods.filter((m) => m !== method), method];
  const previous = state.primaryMethod;
  const primaryMethod = previous && enabledMethods.includes(previous) ? previous : method;
  const next: UserMfaState = {
    ...state,
    methods: {
      ...state.methods,
      [method]: {
        status: 'enabled',
        configuredAt: configured ? now : state.methods[method].configuredAt,
        enabledAt: now,
      },
    },
    enabledMethods,
    primaryMethod,
  };
  const orgId = orgOf(state, subject);
  const events: DomainEvent[] = [
    {
      type: 'MfaMethodEnabled',
      data: { userId: subject.userId, orgId, method, isPrimary: primaryMethod === method, enabledMethods: [...enabledMethods] },
    },
  ];
  if (primaryMethod !== previous) events.push(primaryChanged(subject, orgId, primaryMethod, previous));
  return { state: next, events };
}

const primaryChanged = (subject: Subject, orgId: string | null, method: MfaMethod | null, previous: MfaMethod | null): DomainEvent => ({
  type: 'MfaPrimaryMethodChanged',
  data: { userId: subject.userId, orgId, method, previous },
});

// ---- enable / disable / primary -----------------------------------------------------------

/** Re-enables a configured but disabled method. Already enabled: a no-op. Never configured: 400. */
export function decideEnable(current: UserMfaState | null, command: Subject & { method: MfaMethod }, now: Date): Decision<UserMfaState> {
  const state = load(current, command);
  const status = state.methods[command.method].status;
  if (status === 'enabled') return { state, events: [] };
  if (status !== 'disabled') throw methodNotConfigured();
  return enable(state, command, command.method, now, false);
}

export interface DisableMethod extends Subject {
  method: MfaMethod;
  /** The user's organization enforces MFA for them (and they are not exempt). */
  enforcedByOrg: boolean;
}

/**
 * Disables an enabled method (its configuration is kept so /mfa/enable can bring it back).
 * Refused with 403 when the organization enforces MFA and it is the last enabled method.
 * Disabling the primary moves primary to the earliest remaining enabled method, or null.
 */
export function decideDisable(current: UserMfaState | null, command: DisableMethod, _now: Date): Decision<UserMfaState> {
  const state = load(current, command);
  const status = state.methods[command.method].status;
  if (status === 'disabled') return { state, events: [] };
  if (status !== 'enabled') throw methodNotConfigured();
  const enabledMethods = state.enabledMethods.filter((m) => m !== command.method);
  if (command.enforcedByOrg && enabledMethods.length === 0) {
    throw new AppError('forbidden', 'MFA_ENFORCED_BY_ORG', 'Cannot disable MFA when enforced by organization');
  }
  const previous = state.primaryMethod;
  const primaryMethod = previous && enabledMethods.includes(previous) ? previous : (enabledMethods[0] ?? null);
  const orgId = orgOf(state, command);
  const events: DomainEvent[] = [
    { type: 'MfaMethodDisabled', data: { userId: command.userId, orgId, method: command.method, enabledMethods: [...enabledMethods] } },
  ];
  if (primaryMethod !== previous) events.push(primaryChanged(command, orgId, primaryMethod, previous));
  return {
    state: {
      ...state,
      methods: { ...state.methods, [command.method]: { ...state.methods[command.method], status: 'disabled' } },
      enabledMethods,
      primaryMethod,
    },
    events,
  };
}

/** Makes an enabled method the primary one. Already primary: a no-op. */
export function decideSetPrimary(current: UserMfaState | null, command: Subject & { method: MfaMethod }, _now: Date): Decision<UserMfaState> {
  const state = load(current, command);
  if (state.methods[command.method].status !== 'enabled') throw methodNotEnabled();
  if (state.primaryMethod === command.method) return { state, events: [] };
  return {
    state: { ...state, primaryMethod: command.method },
    events: [primaryChanged(command, orgOf(state, command), command.method, state.primaryMethod)],
  };
}
