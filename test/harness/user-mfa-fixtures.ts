import { decideEnable, type SealedSecretData, type TotpCheck, type UserMfaState } from '../../apps/mfa-service/src/user-mfa/domain/user-mfa';
import { decideStartTotpSetup, decideVerifyTotpSetup } from '../../apps/mfa-service/src/user-mfa/factors/totp/domain/totp.setup';

/** Shared fixtures of the UserMfa decider specs: one user, fixed times, a sealed secret, states built through the rules. */
export const t0 = new Date('2026-03-01T10:00:00.000Z');
export const at = (ms: number) => new Date(t0.getTime() + ms);
export const subject = { userId: 'user-1', orgId: 'org-1' };
export const sealed: SealedSecretData = { keyId: 'k1', iv: 'aXY=', tag: 'dGFn', ciphertext: 'Y2lwaGVy' };
export const hashes = ['h1', 'h2', 'h3'];
export const ok = (step = 100): (() => TotpCheck) => () => ({ ok: true, step });
export const bad: () => TotpCheck = () => ({ ok: false, reason: 'invalid_code' });

export const pending = (state: UserMfaState | null = null, now = t0) =>
  decideStartTotpSetup(state, { ...subject, secret: sealed, backupCodeHashes: hashes }, now).state;
export const totpEnabled = (state: UserMfaState | null = null, now = t0) =>
  decideVerifyTotpSetup(pending(state, now), { ...subject, check: ok() }, now).state;

/** A user with GOOGLE_AUTH (primary) and PASSKEY enabled, built through the rules. */
export function twoMethods(): UserMfaState {
  const base = totpEnabled();
  const withPasskey: UserMfaState = {
    ...base,
    methods: { ...base.methods, PASSKEY: { status: 'disabled', configuredAt: t0, enabledAt: null } },
  };
  return decideEnable(withPasskey, { ...subject, method: 'PASSKEY' }, t0).state;
}
