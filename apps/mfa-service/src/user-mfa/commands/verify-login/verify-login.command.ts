import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';
import type { VerificationMethod } from '../../domain/login-verification';
import type { Subject } from '../../domain/user-mfa';

export interface VerifyLoginResult {
  verified: true;
  method: VerificationMethod;
  mfaToken: string;
  expiresAt: string;
  /** "Remember this device" granted: shown once, only its hash is stored. Absent when not asked or the policy forbids it. */
  deviceToken?: string;
  deviceId?: string;
  deviceExpiresAt?: string;
}

/** `rememberDevice: true` with verify-login, and the device's name. */
export interface RememberDeviceRequest {
  rememberDevice: boolean;
  deviceName?: string;
}

export class VerifyLoginCommand extends Command<VerifyLoginResult> {
  constructor(
    readonly subject: Subject,
    readonly mfaType: VerificationMethod,
    readonly presented: { code?: string; token?: string; credential?: Record<string, unknown> },
    readonly meta: CommandMeta,
    readonly remember: RememberDeviceRequest = { rememberDevice: false },
  ) {
    super();
  }
}
