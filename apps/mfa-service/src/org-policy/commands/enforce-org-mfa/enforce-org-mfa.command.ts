import { Command } from '@nestjs/cqrs';
import type { CommandMeta } from '@mfa/persistence';
import type { MfaMethod } from '../../../user-mfa/domain/mfa-method';

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
  ) {
    super();
  }
}
