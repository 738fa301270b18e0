import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';
import type { MfaMethod } from '../../../user-mfa/domain/mfa-method';
import type { Subject } from '../../../user-mfa/domain/user-mfa';

export interface EnforceOrgMfaResult {
  enforced: boolean;
  changed: boolean;
}

export class EnforceOrgMfaCommand extends Command<EnforceOrgMfaResult> {
  constructor(
    readonly orgId: string,
    readonly enforced: boolean,
    readonly gracePeriodDays: number | undefined,
    readonly allowedMethods: MfaMethod[] | undefined,
    readonly meta: CommandMeta,
    /** The admin, for their own step-up when the change lowers security. */
    readonly actor: Subject,
  ) {
    super();
  }
}
