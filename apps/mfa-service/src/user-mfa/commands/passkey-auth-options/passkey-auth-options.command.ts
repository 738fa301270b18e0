import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';
import type { Subject } from '../../domain/user-mfa';

export interface PasskeyAuthOptions {
  challenge: string;
  rpId: string;
  userVerification: 'preferred' | 'required';
  timeout: number;
  allowCredentials: Array<{ id: string; type: 'public-key'; transports?: string[] }>;
}

/** Issues (and stores) an authentication challenge for the user's passkeys. */
export class PasskeyAuthOptionsCommand extends Command<PasskeyAuthOptions> {
  constructor(
    readonly subject: Subject,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}
