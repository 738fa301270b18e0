import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectConnection } from '@nestjs/mongoose';
import { CLOCK, Clock } from '@mfa/common';
import type { Connection } from 'mongoose';
import { ComplianceReader } from '../../../membership/compliance.reader';
import { MFA_METHODS } from '../../../user-mfa/domain/mfa-method';
import { OrgExemptions } from '../../infra/org-exemptions';
import { ORG_POLICY_COLLECTION, OrgPolicyDocument } from '../../infra/org-policy.document';
import { GetOrgPolicyQuery, OrgPolicyView } from './get-org-policy.query';

@QueryHandler(GetOrgPolicyQuery)
export class GetOrgPolicyHandler implements IQueryHandler<GetOrgPolicyQuery, OrgPolicyView> {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly compliance: ComplianceReader,
    private readonly exemptions: OrgExemptions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ orgId }: GetOrgPolicyQuery): Promise<OrgPolicyView> {
    const now = this.clock.now();
    const doc = await this.connection
      .collection<OrgPolicyDocument>(ORG_POLICY_COLLECTION)
      .findOne({ _id: orgId }, { projection: { outbox: 0, exemptionChanges: 0, exemptions: 0 } });
    const allowedMethods = doc?.allowedMethods ?? [...MFA_METHODS];
    const members = await this.compliance.counts(orgId, await this.exemptions.forCompliance(orgId, allowedMethods, now));
    return {
      orgId,
      enforced: doc?.enforced ?? false,
      enforcedAt: doc?.enforcedAt?.toISOString() ?? null,
      enforcedBy: doc?.enforcedBy ?? null,
      gracePeriodDays: doc?.gracePeriodDays ?? 0,
      enforcementDeadline: doc?.enforced ? (doc.enforcementDeadline?.toISOString() ?? null) : null,
      allowedMethods,
      rememberDeviceDays: doc?.enforced ? (doc.rememberDeviceDays ?? 0) : 0,
      exemptions: await this.exemptions.countActive(orgId, now),
      members,
    };
  }
}
