import { AppError } from '@mfa/common/errors/app-error';
import type { Decision, DomainEvent } from '@mfa/common/domain/decision';
import { BACKUP_CODES_AUTHENTICATOR_ID, EMAIL_AUTHENTICATOR_ID, TOTP_AUTHENTICATOR_ID } from '../../../domain/authenticator-ids';
import { isEnabled, load, orgOf, Subject, UserMfaState } from '../../../domain/user-mfa';
import type { TrustedDeviceState } from './trusted-device.state';

/**
 * "Remember this device" (org policy `rememberDeviceDays`, the smallest over the user's
 * organizations). A device is bound to the user (stored on their document) and to the factor
 * that created it; it lasts until `createdAt + days`, where `days` is re-read at every use, so
 * lowering the policy shortens existing devices and 0 ends them all.
 */
export const MAX_TRUSTED_DEVICES = 20;
const DAY_MS = 24 * 60 * 60_000;

export type TrustedDeviceRevocation = 'user' | 'admin' | 'mfa_reset' | 'factor_removed' | 'evicted';

export const trustedDeviceNotFound = (): AppError => new AppError('not_found', 'TRUSTED_DEVICE_NOT_FOUND', 'Trusted device not found');

/** When a device stops being accepted under a policy of `days` now (the earlier of its grant and the current policy). */
export function effectiveExpiry(device: TrustedDeviceState, days: number): Date {
  return new Date(Math.min(device.expiresAt.getTime(), device.createdAt.getTime() + Math.max(0, days) * DAY_MS));
}

/** The factor that created the device is still there and enabled (backup codes: while any method is). */
export function authenticatorStillUsable(state: UserMfaState, device: TrustedDeviceState): boolean {
  switch (device.authenticatorId) {
    case TOTP_AUTHENTICATOR_ID:
      return isEnabled(state, 'GOOGLE_AUTH');
    case EMAIL_AUTHENTICATOR_ID:
      return isEnabled(state, 'MAGIC_LINK');
    case BACKUP_CODES_AUTHENTICATOR_ID:
      return state.enabledMethods.length > 0;
    default:
      return isEnabled(state, 'PASSKEY') && state.passkeys.some((p) => p.id === device.authenticatorId);
  }
}

const revoked = (subject: Subject, state: UserMfaState, deviceId: string, reason: TrustedDeviceRevocation): DomainEvent => ({
  type: 'TrustedDeviceRevoked',
  data: { userId: subject.userId, orgId: orgOf(state, subject), deviceId, reason },
});

export interface NewTrustedDevice {
  id: string;
  tokenHash: string;
  name: string | null;
  days: number;
  method: TrustedDeviceState['method'];
  authenticatorId: string;
  acr: TrustedDeviceState['acr'];
}

/**
 * Adds a device (after a verified login). Devices already expired are dropped silently; beyond
 * MAX_TRUSTED_DEVICES the oldest are evicted, each with TrustedDeviceRevoked (reason `evicted`).
 */
export function addTrustedDevice(state: UserMfaState, subject: Subject, device: NewTrustedDevice, now: Date): Decision<UserMfaState> & { expiresAt: Date } {
  const expiresAt = new Date(now.getTime() + device.days * DAY_MS);
  const added: TrustedDeviceState = {
    id: device.id,
    tokenHash: device.tokenHash,
    name: device.name,
    createdAt: now,
    lastUsedAt: null,
    expiresAt,
    method: device.method,
    authenticatorId: device.authenticatorId,
    acr: device.acr,
  };
  const live = state.trustedDevices.filter((d) => effectiveExpiry(d, device.days).getTime() > now.getTime());
  const all = [...live, added];
  const evicted = all.slice(0, Math.max(0, all.length - MAX_TRUSTED_DEVICES));
  const events: DomainEvent[] = [
    ...evicted.map((d) => revoked(subject, state, d.id, 'evicted')),
    {
      type: 'TrustedDeviceRegistered',
      data: { userId: subject.userId, orgId: orgOf(state, subject), deviceId: device.id, expiresAt: expiresAt.toISOString() },
    },
  ];
  return { state: { ...state, trustedDevices: all.slice(evicted.length) }, events, expiresAt };
}

/** Removes the devices `which` selects, each with TrustedDeviceRevoked (`reason`). */
export function revokeTrustedDevices(
  state: UserMfaState,
  subject: Subject,
  which: (device: TrustedDeviceState) => boolean,
  reason: TrustedDeviceRevocation,
): Decision<UserMfaState> {
  const gone = state.trustedDevices.filter(which);
  if (gone.length === 0) return { state, events: [] };
  return {
    state: { ...state, trustedDevices: state.trustedDevices.filter((d) => !which(d)) },
    events: gone.map((d) => revoked(subject, state, d.id, reason)),
  };
}

/**
 * After a factor is disabled or removed, the devices it created are revoked with it
 * (`factor_removed`), so re-enabling or re-enrolling that factor later does not bring them back.
 */
export function revokeDevicesOfUnusableFactors<D extends Decision<UserMfaState>>(decision: D, subject: Subject): D {
  const revoked = revokeTrustedDevices(decision.state, subject, (d) => !authenticatorStillUsable(decision.state, d), 'factor_removed');
  return { ...decision, state: revoked.state, events: [...decision.events, ...revoked.events] };
}

/** The user revokes one of their devices. Unknown, another user's or expired: 404 TRUSTED_DEVICE_NOT_FOUND. */
export function decideRevokeTrustedDevice(
  current: UserMfaState | null,
  command: Subject & { deviceId: string; rememberDeviceDays: number },
  now: Date,
): Decision<UserMfaState> {
  const state = load(current, command);
  const device = state.trustedDevices.find((d) => d.id === command.deviceId);
  if (!device || effectiveExpiry(device, command.rememberDeviceDays).getTime() <= now.getTime()) throw trustedDeviceNotFound();
  return revokeTrustedDevices(state, command, (d) => d === device, 'user');
}

/** An admin revokes every device of a member (none: a no-op, 200). */
export function decideRevokeAllTrustedDevices(current: UserMfaState | null, command: Subject, _now: Date): Decision<UserMfaState> {
  return revokeTrustedDevices(load(current, command), command, () => true, 'admin');
}

export interface TrustedDeviceView {
  id: string;
  name: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
}

/** The devices still accepted under the policy of now, with their effective expiry (never the hash). */
export function trustedDeviceViews(state: UserMfaState | null, rememberDeviceDays: number, now: Date): TrustedDeviceView[] {
  return (state?.trustedDevices ?? [])
    .map((d) => ({ d, expiresAt: effectiveExpiry(d, rememberDeviceDays) }))
    .filter(({ expiresAt }) => expiresAt.getTime() > now.getTime())
    .map(({ d, expiresAt }) => ({
      id: d.id,
      name: d.name,
      createdAt: d.createdAt.toISOString(),
      lastUsedAt: d.lastUsedAt?.toISOString() ?? null,
      expiresAt: expiresAt.toISOString(),
    }));
}
