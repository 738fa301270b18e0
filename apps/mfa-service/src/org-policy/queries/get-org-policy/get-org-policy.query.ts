import { Query } from '@nestjs/cqrs';
import type { ComplianceCounts } from '../../../membership/compliance.reader';
import type { MfaMethod } from '../../../user-mfa/domain/mfa-method';

export interface OrgPolicyView {
  orgId: string;
  enforced: boolean;
  enforcedAt: string | null;
  enforcedBy: string | null;
  gracePeriodDays: number;
  enforcementDeadline: string | null;
  allowedMethods: MfaMethod[];
  rememberDeviceDays: number;
  exemptions: number;
  members: ComplianceCounts;
}

export class GetOrgPolicyQuery extends Query<OrgPolicyView> {
  constructor(readonly orgId: string) {
    super();
  }
}
