import { AppError, validationFailed } from '@mfa/common/errors/app-error';
import type { Decision, DomainEvent } from '@mfa/common/domain/decision';
import { BACKUP_CODES_AUTHENTICATOR_ID, EMAIL_AUTHENTICATOR_ID, TOTP_AUTHENTICATOR_ID } from './authenticator-ids';
import type { AuthenticatorTypeName } from '@mfa/contracts/events';
import type { MfaMethod } from './mfa-method';
import { passkeyProviderOf } from '../factors/passkey/domain/passkey-providers';
import { revokeDevicesOfUnusableFactors, revokeTrustedDevices } from '../factors/trusted-device/domain/trusted-devices';
import { load, noFactorMeta, noMethod, orgOf, Subject, UserMfaState } from './user-mfa';

/**
 * Each factor as an authenticator with a stable id: every passkey (`pk-…`, from its credential id),
 * the authenticator app (`totp`), the email address (`email`) and the backup-code set
 * (`backup-codes`). A list entry never carries a secret, public key, hash or full address.
 */
export const MAX_AUTHENTICATOR_NAME = 64;

export type AuthenticatorType = AuthenticatorTypeName;

export interface AuthenticatorView {
  id: string;
  type: AuthenticatorType;
  /** Whether its method is enabled (a disabled one can be re-enabled with /mfa/enable). */
  enabled: boolean;
  name: string | null;
  createdAt: string | null;
  lastUsedAt: string | null;
  // PASSKEY
  deviceType?: string;
  backedUp?: boolean;
  transports?: string[];
  provider?: string | null;
  // MAGIC_LINK
  email?: string;
  // BACKUP_CODES
  remaining?: number;
  generatedAt?: string | null;
}

export const authenticatorNotFound = (): AppError => new AppError('not_found', 'AUTHENTICATOR_NOT_FOUND', 'Authenticator not found');

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
const configured = (state: UserMfaState, method: MfaMethod) => state.methods[method].status === 'enabled' || state.methods[method].status === 'disabled';

/** The authenticator app or the email address: one per user, named and used through factorMeta. */
function singleView(state: UserMfaState, method: keyof UserMfaState['factorMeta'], id: string): AuthenticatorView {
  const meta = state.factorMeta[method];
  return {
    id,
    type: method,
    enabled: state.methods[method].status === 'enabled',
    name: meta.name,
    createdAt: iso(state.methods[method].configuredAt),
    lastUsedAt: iso(meta.lastUsedAt),
  };
}

/** `a***@example.com`: enough for the user to recognise it, not the address. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

export function authenticatorViews(state: UserMfaState | null): AuthenticatorView[] {
  if (!state) return [];
  const views: AuthenticatorView[] = state.passkeys.map((p) => ({
    id: p.id,
    type: 'PASSKEY',
    enabled: state.methods.PASSKEY.status === 'enabled',
    name: p.name,
    createdAt: iso(p.createdAt),
    lastUsedAt: iso(p.lastUsedAt),
    deviceType: p.deviceType,
    backedUp: p.backedUp,
    transports: [...p.transports],
    provider: passkeyProviderOf(p.aaguid),
  }));
  if (configured(state, 'GOOGLE_AUTH') && state.totp) views.push(singleView(state, 'GOOGLE_AUTH', TOTP_AUTHENTICATOR_ID));
  if (configured(state, 'MAGIC_LINK') && state.email) views.push({ ...singleView(state, 'MAGIC_LINK', EMAIL_AUTHENTICATOR_ID), email: maskEmail(state.email) });
  if (state.backupCodes.length > 0) {
    const used = state.backupCodes.map((c) => c.usedAt?.getTime() ?? 0);
    const last = Math.max(0, ...used);
    views.push({
      id: BACKUP_CODES_AUTHENTICATOR_ID,
      type: 'BACKUP_CODES',
      enabled: state.enabledMethods.length > 0,
      name: null,
      createdAt: iso(state.backupCodesGeneratedAt),
      lastUsedAt: last > 0 ? new Date(last).toISOString() : null,
      remaining: state.backupCodes.filter((c) => c.usedAt === null).length,
      generatedAt: iso(state.backupCodesGeneratedAt),
    });
  }
  return views;
}

/**
 * A display name: trimmed, 1–64 characters, none of them a control, format or other
 * non-printable character (Unicode category C). Else 400 VALIDATION_FAILED naming `field`.
 */
export function authenticatorName(raw: unknown, field = 'name'): string {
  const name = typeof raw === 'string' ? raw.trim() : '';
  const length = [...name].length;
  if (length < 1 || length > MAX_AUTHENTICATOR_NAME || /\p{C}/u.test(name)) {
    throw validationFailed([{ field, message: `${field} must be 1-${MAX_AUTHENTICATOR_NAME} printable characters` }]);
  }
  return name;
}

const notRenamable = () => validationFailed([{ field: 'id', message: 'backup codes have no name and cannot be removed; regenerate them instead' }]);

function typeOf(state: UserMfaState, id: string): AuthenticatorType {
  const found = authenticatorViews(state).find((v) => v.id === id);
  if (!found) throw authenticatorNotFound();
  return found.type;
}

/** Renames one authenticator (name already validated). The same name again: a no-op. Unknown id: 404. */
export function decideRenameAuthenticator(
  current: UserMfaState | null,
  command: Subject & { authenticatorId: string; name: string },
  _now: Date,
): Decision<UserMfaState> {
  const state = load(current, command);
  const type = typeOf(state, command.authenticatorId);
  let next: UserMfaState;
  if (type === 'PASSKEY') {
    const passkey = state.passkeys.find((p) => p.id === command.authenticatorId)!;
    if (passkey.name === command.name) return { state, events: [] };
    next = { ...state, passkeys: state.passkeys.map((p) => (p === passkey ? { ...p, name: command.name } : p)) };
  } else if (type === 'GOOGLE_AUTH' || type === 'MAGIC_LINK') {
    const meta = state.factorMeta[type];
    if (meta.name === command.name) return { state, events: [] };
    next = { ...state, factorMeta: { ...state.factorMeta, [type]: { ...meta, name: command.name } } };
  } else {
    throw notRenamable();
  }
  return {
    state: next,
    events: [
      {
        type: 'MfaAuthenticatorRenamed',
        data: { userId: command.userId, orgId: orgOf(state, command), authenticatorId: command.authenticatorId, type, name: command.name },
      },
    ],
  };
}

export interface RemoveAuthenticator extends Subject {
  authenticatorId: string;
  /** Some organization of the user enforces MFA on them: the last enabled method stays. */
  enforcedByOrg: boolean;
  removedBy: string;
  /** An admin removal: every organization the user belongs to (on the event). */
  orgIds?: string[];
}

export interface RemovedAuthenticator extends Decision<UserMfaState> {
  /** The credential id a removed passkey held (to be released for registration), else null. */
  releasedCredentialId: string | null;
}

/**
 * Removes one passkey, the authenticator app or the email address. When it was the last of its
 * method, the method is gone (`none`), as if never set up: refused with 403 MFA_ENFORCED_BY_ORG when
 * that leaves no enabled method under enforcement (the same rule as /mfa/disable). Devices the
 * factor created are revoked. Unknown id: 404; backup codes: 400.
 */
export function decideRemoveAuthenticator(current: UserMfaState | null, command: RemoveAuthenticator, _now: Date): RemovedAuthenticator {
  const state = load(current, command);
  const type = typeOf(state, command.authenticatorId);
  if (type === 'BACKUP_CODES') throw notRenamable();
  let next: UserMfaState;
  let method: MfaMethod;
  let releasedCredentialId: string | null = null;
  if (type === 'PASSKEY') {
    const passkey = state.passkeys.find((p) => p.id === command.authenticatorId)!;
    releasedCredentialId = passkey.credentialId;
    const passkeys = state.passkeys.filter((p) => p !== passkey);
    next = { ...state, passkeys, passkeyChallenges: passkeys.length === 0 ? [] : state.passkeyChallenges };
    method = 'PASSKEY';
  } else if (type === 'GOOGLE_AUTH') {
    next = { ...state, totp: null, factorMeta: { ...state.factorMeta, GOOGLE_AUTH: noFactorMeta() } };
    method = 'GOOGLE_AUTH';
  } else {
    next = { ...state, email: null, magicLinks: [], factorMeta: { ...state.factorMeta, MAGIC_LINK: noFactorMeta() } };
    method = 'MAGIC_LINK';
  }
  const methodGone = method !== 'PASSKEY' || next.passkeys.length === 0;
  const orgId = orgOf(state, command);
  const events: DomainEvent[] = [
    {
      type: 'MfaAuthenticatorRemoved',
      data: {
        userId: command.userId,
        orgId,
        ...(command.orgIds ? { orgIds: [...command.orgIds] } : {}),
        authenticatorId: command.authenticatorId,
        type,
        removedBy: command.removedBy,
      },
    },
  ];
  if (methodGone) {
    const wasEnabled = state.methods[method].status === 'enabled';
    const enabledMethods = state.enabledMethods.filter((m) => m !== method);
    if (wasEnabled && command.enforcedByOrg && enabledMethods.length === 0) {
      throw new AppError('forbidden', 'MFA_ENFORCED_BY_ORG', 'Cannot remove the last MFA method when enforced by organization');
    }
    const previous = state.primaryMethod;
    const primaryMethod = previous && enabledMethods.includes(previous) ? previous : (enabledMethods[0] ?? null);
    next = { ...next, methods: { ...next.methods, [method]: noMethod() }, enabledMethods, primaryMethod };
    if (wasEnabled) events.push({ type: 'MfaMethodDisabled', data: { userId: command.userId, orgId, method, enabledMethods: [...enabledMethods] } });
    if (primaryMethod !== previous) events.push({ type: 'MfaPrimaryMethodChanged', data: { userId: command.userId, orgId, method: primaryMethod, previous } });
  }
  // The removed authenticator's devices, and (last factor gone) those of backup codes.
  const revoked = revokeTrustedDevices(next, command, (d) => d.authenticatorId === command.authenticatorId, 'factor_removed');
  return { ...revokeDevicesOfUnusableFactors({ state: revoked.state, events: [...events, ...revoked.events] }, command), releasedCredentialId };
}
export { BACKUP_CODES_AUTHENTICATOR_ID, EMAIL_AUTHENTICATOR_ID, TOTP_AUTHENTICATOR_ID } from './authenticator-ids';
