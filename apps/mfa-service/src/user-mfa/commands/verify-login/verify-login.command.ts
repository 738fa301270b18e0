import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';
import type { VerificationMethod } from '../../domain/login-verification';
import type { Subject } from '../../domain/user-mfa';

export interface VerifyLoginResult {
  verified: true;
  method: VerificationMethod;
  mfaToken: string;
  expiresAt: string;
}

export class VerifyLoginCommand extends Command<VerifyLoginResult> {
  constructor(
    readonly subject: Subject,
    readonly mfaType: VerificationMethod,
    readonly presented: { code?: string; token?: string; credential?: Record<string, unknown> },
    readonly meta: CommandMeta,
  ) {
    super();
  }
}
