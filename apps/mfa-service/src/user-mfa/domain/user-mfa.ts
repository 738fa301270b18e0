import { AppError } from '@mfa/common/errors/app-error';
import type { Decision, DomainEvent } from '@mfa/common/domain/decision';
import { MFA_METHODS, MfaMethod } from './mfa-method';
import { noVerification, VerificationState } from './verification-state';

export { noVerification } from './verification-state';
export type { VerificationState } from './verification-state';

/**
 * One user's MFA factors (aggregate key: userId). Pure data; the rules are the decide*
 * functions below. Secrets arrive here already sealed and codes already hashed: the domain
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

/** An AES-256-GCM ciphertext with its key id (the shape of the factors' SealedSecret). */
export interface SealedSecretData {
  keyId: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

export interface StoredCode {
  hash: string;
  usedAt: Date | null;
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

export type MagicLinkPurposeName = 'setup' | 'login';

/** An issued magic link: only the SHA-256 hash of its token is kept, never the token. */
export interface MagicLinkState {
  tokenHash: string;
  purpose: MagicLinkPurposeName;
  email: string;
  expiresAt: Date;
  /** A setup link requested without step-up: cancelled once any method becomes enabled. */
  startedWithoutStepUp?: boolean;
}

/** A registered WebAuthn credential (public key material only; it never appears in an event). */
export interface PasskeyState {
  /** base64url */
  credentialId: string;
  /** COSE public key, base64url. */
  publicKey: string;
  counter: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  aaguid: string;
  name: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type PasskeyCeremony = 'registration' | 'authentication';

/** An outstanding WebAuthn challenge (at most one per ceremony). */
export interface PasskeyChallengeState {
  challenge: string;
  ceremony: PasskeyCeremony;
  expiresAt: Date;
  /** Registration: the device name given at setup, for the passkey it creates. */
  name?: string | null;
  /** Registration started without step-up: cancelled once any method becomes enabled. */
  startedWithoutStepUp?: boolean;
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
}

/** A pending setup lives this long by default (requirement 5). */
export const PENDING_SETUP_TTL_MS = 10 * 60_000;

const noMethod = (): MethodState => ({ status: 'none', configuredAt: null, enabledAt: null });

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

export const methodNotConfigured = (): AppError =>
  new AppError('validation', 'METHOD_NOT_CONFIGURED', 'MFA method is not configured');
export const methodNotEnabled = (): AppError => new AppError('validation', 'METHOD_NOT_ENABLED', 'MFA method is not enabled');
const verificationFailed = (code: string): AppError => new AppError('validation', code, 'MFA setup verification failed');

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
  const totp = state.totp;
  const cancelTotp = enabling !== 'GOOGLE_AUTH' && !!totp?.startedWithoutStepUp && totp.pendingExpiresAt !== null;
  return {
    ...state,
    totp: cancelTotp ? { secret: totp!.secret, lastUsedStep: totp!.lastUsedStep, pendingExpiresAt: now, pendingBackupCodes: [] } : state.totp,
    magicLinks: state.magicLinks.filter((l) => !(l.purpose === 'setup' && l.startedWithoutStepUp && enabling !== 'MAGIC_LINK')),
    passkeyChallenges: state.passkeyChallenges.filter(
      (c) => !(c.ceremony === 'registration' && c.startedWithoutStepUp && enabling !== 'PASSKEY'),
    ),
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

// ---- TOTP setup -------------------------------------------------------------------------

export interface StartTotpSetup extends Subject {
  /** The new secret, already sealed with associated data bound to the user. */
  secret: SealedSecretData;
  /** HMAC hashes of the backup codes shown with this setup. */
  backupCodeHashes: string[];
  ttlMs?: number;
  /** Step-up was proven for this request (else the setup is cancelled once any method is enabled). */
  stepUpProven?: boolean;
}

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

/** The outcome of checking a TOTP code against a stored secret (the infrastructure opens the secret). */
export type TotpCheck = { ok: true; step: number } | { ok: false; reason: string };

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

// ---- magic link ------------------------------------------------------------------------

/** Links a user may have outstanding at once (one per purpose is kept; this bounds the list). */
export const MAX_MAGIC_LINKS = 2;

export interface RequestMagicLink extends Subject {
  purpose: MagicLinkPurposeName;
  email: string;
  /** SHA-256 of the token: the only form of the token that is stored. */
  tokenHash: string;
  /** The link to deliver (it carries the plaintext token; it goes only into MagicLinkRequested). */
  link: string;
  expiresAt: Date;
  /** Step-up was proven for this request (a setup link without it is cancelled once any method is enabled). */
  stepUpProven?: boolean;
}

export const invalidMagicLinkToken = (): AppError => new AppError('validation', 'INVALID_TOKEN', 'Invalid or expired token');

/**
 * Records a magic link for `purpose` (replacing any older one for the same purpose) and asks
 * for its delivery. A setup link for an enabled MAGIC_LINK is refused (409); it marks the
 * method pending and emits MfaMethodSetupStarted.
 */
export function decideRequestMagicLink(current: UserMfaState | null, command: RequestMagicLink, now: Date): Decision<UserMfaState> {
  const state = load(current, command);
  const setup = command.purpose === 'setup';
  if (setup && state.methods.MAGIC_LINK.status === 'enabled') {
    throw new AppError('conflict', 'METHOD_ALREADY_ENABLED', 'MFA method already enabled');
  }
  const kept = state.magicLinks.filter((l) => l.purpose !== command.purpose && l.expiresAt.getTime() > now.getTime());
  const issued: MagicLinkState = { tokenHash: command.tokenHash, purpose: command.purpose, email: command.email, expiresAt: command.expiresAt };
  if (setup && !command.stepUpProven) issued.startedWithoutStepUp = true;
  const magicLinks = [...kept, issued].slice(
    -MAX_MAGIC_LINKS,
  );
  const events: DomainEvent[] = [];
  let methods = state.methods;
  if (setup) {
    methods = { ...state.methods, MAGIC_LINK: { status: 'pending', configuredAt: null, enabledAt: null } };
    events.push({ type: 'MfaMethodSetupStarted', data: { userId: command.userId, orgId: orgOf(state, command), method: 'MAGIC_LINK' } });
  }
  events.push({
    type: 'MagicLinkRequested',
    data: { userId: command.userId, email: command.email, purpose: command.purpose, link: command.link, expiresAt: command.expiresAt.toISOString() },
  });
  return { state: { ...state, email: setup ? command.email : state.email, methods, magicLinks }, events };
}

/**
 * Completes MAGIC_LINK setup with a setup link: the token must be outstanding, for 'setup',
 * and unexpired; it is consumed and the method enabled (primary when it is the first).
 * Anything else: 400 INVALID_TOKEN.
 */
export function decideActivateMagicLink(
  current: UserMfaState | null,
  command: Subject & { tokenHash: string },
  now: Date,
): Decision<UserMfaState> {
  if (!current) throw invalidMagicLinkToken();
  const link = current.magicLinks.find((l) => l.tokenHash === command.tokenHash);
  if (!link || link.purpose !== 'setup' || link.expiresAt.getTime() <= now.getTime()) throw invalidMagicLinkToken();
  if (current.methods.MAGIC_LINK.status === 'enabled') throw invalidMagicLinkToken();
  const consumed: UserMfaState = { ...current, email: link.email, magicLinks: current.magicLinks.filter((l) => l !== link) };
  return enable(consumed, command, 'MAGIC_LINK', now, true);
}

// ---- passkey ---------------------------------------------------------------------------

export const passkeyRegistrationFailed = (): AppError =>
  new AppError('validation', 'PASSKEY_REGISTRATION_FAILED', 'Passkey registration failed');
export const noPasskey = (): AppError => new AppError('not_found', 'PASSKEY_NOT_FOUND', 'No passkey registered');

/** Keeps the unexpired challenges of other ceremonies and adds `next` (one per ceremony). */
function withChallenge(state: UserMfaState, next: PasskeyChallengeState, now: Date): PasskeyChallengeState[] {
  return [...state.passkeyChallenges.filter((c) => c.ceremony !== next.ceremony && c.expiresAt.getTime() > now.getTime()), next];
}

export interface StartPasskeyCeremony extends Subject {
  /** base64url, generated by the infrastructure; never put on an event. */
  challenge: string;
  expiresAt: Date;
}

/**
 * Stores a registration challenge (replacing an older one). A configured PASSKEY may register
 * more passkeys; a never-configured one becomes pending. Emits MfaMethodSetupStarted.
 */
export function decideStartPasskeyRegistration(
  current: UserMfaState | null,
  command: StartPasskeyCeremony & { name?: string | null; stepUpProven?: boolean },
  now: Date,
): Decision<UserMfaState> {
  const state = load(current, command);
  const challenge: PasskeyChallengeState = { challenge: command.challenge, ceremony: 'registration', expiresAt: command.expiresAt, name: command.name ?? null };
  if (!command.stepUpProven) challenge.startedWithoutStepUp = true;
  const passkeyChallenges = withChallenge(state, challenge, now);
  // Only a never-configured method becomes pending: an enabled or disabled one keeps its passkeys and status.
  const methods =
    state.methods.PASSKEY.status === 'none' ? { ...state.methods, PASSKEY: { ...state.methods.PASSKEY, status: 'pending' as const } } : state.methods;
  return {
    state: { ...state, methods, passkeyChallenges },
    events: [{ type: 'MfaMethodSetupStarted', data: { userId: command.userId, orgId: orgOf(state, command), method: 'PASSKEY' } }],
  };
}

export interface CompletePasskeyRegistration extends Subject {
  /** The challenge the client answered (must be this user's outstanding registration challenge). */
  challenge: string;
  /** The verified credential (verified against that same challenge). */
  passkey: Omit<PasskeyState, 'name' | 'createdAt' | 'lastUsedAt'>;
}

/** The outstanding, unexpired registration challenge equal to `challenge`, if any. */
export function findPasskeyChallenge(
  state: UserMfaState | null,
  challenge: string,
  ceremony: PasskeyCeremony,
  now: Date,
): PasskeyChallengeState | null {
  return state?.passkeyChallenges.find((c) => c.challenge === challenge && c.ceremony === ceremony && c.expiresAt.getTime() > now.getTime()) ?? null;
}

/**
 * Completes a passkey registration: the challenge is consumed, the credential appended and
 * PASSKEY enabled (primary when it is the first method). A missing, expired or foreign
 * challenge, or a credential the user already has: 400 PASSKEY_REGISTRATION_FAILED.
 */
export function decideCompletePasskeyRegistration(
  current: UserMfaState | null,
  command: CompletePasskeyRegistration,
  now: Date,
): Decision<UserMfaState> {
  const found = findPasskeyChallenge(current, command.challenge, 'registration', now);
  if (!current || !found) throw passkeyRegistrationFailed();
  if (current.passkeys.some((p) => p.credentialId === command.passkey.credentialId)) throw passkeyRegistrationFailed();
  const passkey: PasskeyState = {
    ...command.passkey,
    transports: [...command.passkey.transports],
    name: found.name ?? null,
    createdAt: now,
    lastUsedAt: null,
  };
  const consumed: UserMfaState = {
    ...current,
    passkeys: [...current.passkeys, passkey],
    passkeyChallenges: current.passkeyChallenges.filter((c) => c !== found),
  };
  return enable(consumed, command, 'PASSKEY', now, true);
}

/**
 * Discards an outstanding challenge after a failed ceremony: a challenge is consumed on its first
 * use whatever the outcome (requirement 8). Written without an event; nothing to discard: a no-op.
 */
export function decideDiscardPasskeyChallenge(
  current: UserMfaState | null,
  command: Subject & { challenge: string; ceremony: PasskeyCeremony },
  _now: Date,
): Decision<UserMfaState> {
  const state = load(current, command);
  const passkeyChallenges = state.passkeyChallenges.filter((c) => !(c.challenge === command.challenge && c.ceremony === command.ceremony));
  if (passkeyChallenges.length === state.passkeyChallenges.length) return { state, events: [] };
  return { state: { ...state, passkeyChallenges }, events: [], changed: true };
}

/** Stores an authentication challenge (replacing an older one). No passkey: 404. No event. */
export function decideStartPasskeyAuthentication(
  current: UserMfaState | null,
  command: StartPasskeyCeremony,
  now: Date,
): Decision<UserMfaState> {
  if (!current || current.passkeys.length === 0) throw noPasskey();
  const passkeyChallenges = withChallenge(current, { challenge: command.challenge, ceremony: 'authentication', expiresAt: command.expiresAt }, now);
  // An authentication challenge is state, not a fact worth publishing.
  return { state: { ...current, passkeyChallenges }, events: [], changed: true };
}

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

// ---- backup codes ----------------------------------------------------------------------------

/**
 * Replaces every backup code with a fresh set (the old ones stop working at once). Only for a
 * user with an enabled method: backup codes are a way back into MFA, not a factor of their own.
 */
export function decideRegenerateBackupCodes(
  current: UserMfaState | null,
  command: Subject & { backupCodeHashes: string[] },
  _now: Date,
): Decision<UserMfaState> {
  const state = load(current, command);
  if (state.enabledMethods.length === 0) throw methodNotEnabled();
  return {
    state: { ...state, backupCodes: command.backupCodeHashes.map((hash) => ({ hash, usedAt: null })) },
    events: [{ type: 'BackupCodesRegenerated', data: { userId: command.userId, orgId: orgOf(state, command), count: command.backupCodeHashes.length } }],
  };
}

// ---- reset -------------------------------------------------------------------------------

export interface ResetMfa extends Subject {
  resetBy: string;
  /** Every organization the user belonged to (on the event, so each can tell the user). */
  orgIds: string[];
  /** An admin reset also ends a lockout (the only way out of the hard stop); a self-reset never does. */
  clearLockout: boolean;
}

function hasAnything(state: UserMfaState): boolean {
  return (
    MFA_METHODS.some((m) => state.methods[m].status !== 'none') ||
    state.totp !== null ||
    state.backupCodes.length > 0 ||
    state.magicLinks.length > 0 ||
    state.passkeys.length > 0 ||
    state.passkeyChallenges.length > 0 ||
    state.email !== null ||
    state.enabledMethods.length > 0 ||
    state.primaryMethod !== null
  );
}

/** Removes every method, secret and backup code and clears primary. Nothing to remove: a no-op. */
export function decideReset(current: UserMfaState | null, command: ResetMfa, _now: Date): Decision<UserMfaState> {
  const state = load(current, command);
  const endsLockout = command.clearLockout && Object.keys(state.verification.families).length > 0;
  if (!hasAnything(state) && !endsLockout) return { state, events: [] };
  return {
    // A self-reset keeps the lockout (resetting must not be a way around it); no session keeps a step-up.
    state: {
      ...newUserMfa(state.userId, state.orgId),
      verification: { families: command.clearLockout ? {} : state.verification.families, verifiedSessions: [] },
    },
    events: [
      {
        type: 'MfaReset',
        data: {
          userId: command.userId,
          orgId: orgOf(state, command),
          orgIds: [...command.orgIds],
          resetBy: command.resetBy,
          selfService: command.resetBy === command.userId,
        },
      },
    ],
  };
}
