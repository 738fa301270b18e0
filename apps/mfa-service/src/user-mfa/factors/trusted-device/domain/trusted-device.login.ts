import type { FactorLogin } from '../../../domain/login-factor';
import { methodNotAllowed } from '../../../domain/user-policy';
import { authenticatorStillUsable, effectiveExpiry } from './trusted-devices';
import type { TrustedDeviceState } from './trusted-device.state';

/**
 * A remembered device's token (hash). `rememberDeviceDays`: the policy now (a lower one shortens
 * the device); `allowed`: whether the login's organization accepts the factor that created it.
 */
export interface TrustedDeviceLoginFactor {
  method: 'TRUSTED_DEVICE';
  tokenHash: string;
  rememberDeviceDays: number;
  allowed: (method: TrustedDeviceState['method']) => boolean;
}

/**
 * A remembered device: its token must be one of this user's devices, unexpired under the policy of
 * now, and the factor that created it must still be there, enabled and accepted by the login's
 * organization (else 403 METHOD_NOT_ALLOWED, not counted). An expired device is dropped.
 */
export const trustedDeviceLogin: FactorLogin<TrustedDeviceLoginFactor> = {
  family: 'trustedDevice',
  canPresent: (state) => state.enabledMethods.length > 0 && state.trustedDevices.length > 0,
  // Only a placeholder: a device is worth the `acr` of the factor that created it (see check).
  assurance: () => ({ acr: 'aal1', amr: ['mfa'] }),
  check(state, factor, now) {
    const device = state.trustedDevices.find((d) => d.tokenHash === factor.tokenHash);
    if (!device) return { ok: false, reason: 'invalid_token', state };
    if (effectiveExpiry(device, factor.rememberDeviceDays).getTime() <= now.getTime()) {
      return { ok: false, reason: 'expired', state: { ...state, trustedDevices: state.trustedDevices.filter((d) => d !== device) } };
    }
    if (!authenticatorStillUsable(state, device)) return { ok: false, reason: 'invalid_token', state };
    if (!factor.allowed(device.method)) throw methodNotAllowed();
    const trustedDevices = state.trustedDevices.map((d) => (d === device ? { ...d, lastUsedAt: now } : d));
    return { ok: true, state: { ...state, trustedDevices }, authenticatorId: device.authenticatorId, assurance: { acr: device.acr, amr: ['mfa'] } };
  },
};
