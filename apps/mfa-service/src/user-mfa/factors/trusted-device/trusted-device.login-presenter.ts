import { validationFailed } from '@mfa/common/errors/app-error';
import { allowedAtLogin } from '../../domain/user-policy';
import type { LoginPresenter } from '../login-presenter';
import type { TrustedDeviceLoginFactor } from './domain/trusted-device.login';
import { hashTrustedDeviceToken } from './trusted-device-token';

export const trustedDeviceLoginPresenter = (): LoginPresenter<TrustedDeviceLoginFactor> => ({
  async present({ token, orgId, policy }) {
    // Not shaped like a token we issue: 400 before anything is read (not a counted failure).
    const tokenHash = hashTrustedDeviceToken(token);
    if (tokenHash === null) throw validationFailed([{ field: 'token', message: 'token must be a device token (43 base64url characters)' }]);
    return { method: 'TRUSTED_DEVICE', tokenHash, rememberDeviceDays: policy.rememberDeviceDays, allowed: (m) => allowedAtLogin(policy, orgId, m) };
  },
});
