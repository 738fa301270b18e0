import {
  decideEnable,
  newUserMfa,
  type PasskeyState,
  type SealedSecretData,
  type TotpCheck,
  type TrustedDeviceState,
  type UserMfaState,
} from '../../apps/mfa-service/src/user-mfa/domain/user-mfa';
import { decideStartTotpSetup, decideVerifyTotpSetup } from '../../apps/mfa-service/src/user-mfa/factors/totp/domain/totp.setup';

/** Shared fixtures of the UserMfa decider specs: one user, fixed times, a sealed secret, states built through the rules. */
export const t0 = new Date('2026-03-01T10:00:00.000Z');
export const at = (ms: number) => new Date(t0.getTime() + ms);
export const subject = { userId: 'user-1', orgId: 'org-1' };
export const sealed: SealedSecretData = { keyId: 'k1', iv: 'aXY=', tag: 'dGFn', ciphertext: 'Y2lwaGVy' };
export const hashes = ['h1', 'h2', 'h3'];
export const ok =
  (step = 100): (() => TotpCheck) =>
  () => ({ ok: true, step });
export const bad: () => TotpCheck = () => ({ ok: false, reason: 'invalid_code' });

export const pending = (state: UserMfaState | null = null, now = t0) =>
  decideStartTotpSetup(state, { ...subject, secret: sealed, backupCodeHashes: hashes }, now).state;
export const totpEnabled = (state: UserMfaState | null = null, now = t0) => decideVerifyTotpSetup(pending(state, now), { ...subject, check: ok() }, now).state;

/** A user with GOOGLE_AUTH (primary) and PASSKEY enabled, built through the rules. */
export function twoMethods(): UserMfaState {
  const base = totpEnabled();
  const withPasskey: UserMfaState = {
    ...base,
    methods: { ...base.methods, PASSKEY: { status: 'disabled', configuredAt: t0, enabledAt: null } },
  };
  return decideEnable(withPasskey, { ...subject, method: 'PASSKEY' }, t0).state;
}

export const DAY = 24 * 3600_000;

export const passkey = (n: number): PasskeyState => ({
  id: `pk-${n}`,
  credentialId: `cred-${n}`,
  publicKey: `public-key-${n}`,
  counter: 0,
  transports: ['internal'],
  deviceType: 'multiDevice',
  backedUp: true,
  aaguid: n === 1 ? 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4' : '00000000-0000-0000-0000-000000000000',
  name: null,
  createdAt: t0,
  lastUsedAt: null,
});

const enabled = { status: 'enabled' as const, configuredAt: t0, enabledAt: t0 };

/** A user with two passkeys, the authenticator app (primary), the email address and backup codes. */
export function everything(): UserMfaState {
  return {
    ...newUserMfa('user-1', 'org-1'),
    methods: { GOOGLE_AUTH: enabled, MAGIC_LINK: enabled, PASSKEY: enabled },
    enabledMethods: ['GOOGLE_AUTH', 'PASSKEY', 'MAGIC_LINK'],
    primaryMethod: 'GOOGLE_AUTH',
    totp: { secret: { keyId: 'k1', iv: 'iv', tag: 'tag', ciphertext: 'sealed-secret' }, lastUsedStep: 1, pendingExpiresAt: null, pendingBackupCodes: [] },
    backupCodes: [
      { hash: 'hash-1', usedAt: at(5_000) },
      { hash: 'hash-2', usedAt: null },
    ],
    backupCodesGeneratedAt: t0,
    email: 'alice@example.com',
    passkeys: [passkey(1), passkey(2)],
  };
}

export const device = (id: string, createdAt: Date, authenticatorId = 'totp', days = 30): TrustedDeviceState => ({
  id,
  tokenHash: `hash-${id}`,
  name: null,
  createdAt,
  lastUsedAt: null,
  expiresAt: new Date(createdAt.getTime() + days * DAY),
  method: authenticatorId === 'totp' ? 'GOOGLE_AUTH' : 'PASSKEY',
  authenticatorId,
  acr: 'aal2',
});
