import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectConnection } from '@nestjs/mongoose';
import { CLOCK, Clock } from '@mfa/common';
import type { Connection } from 'mongoose';
import { ComplianceReader, MemberPage } from '../../../membership/compliance.reader';
import { MFA_METHODS } from '../../../user-mfa/domain/mfa-method';
import { OrgExemptions } from '../../infra/org-exemptions';
import { ORG_POLICY_COLLECTION, OrgPolicyDocument } from '../../infra/org-policy.document';
import { ListOrgMembersQuery } from './list-org-members.query';

@QueryHandler(ListOrgMembersQuery)
export class ListOrgMembersHandler implements IQueryHandler<ListOrgMembersQuery, MemberPage> {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly compliance: ComplianceReader,
    private readonly exemptions: OrgExemptions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(query: ListOrgMembersQuery): Promise<MemberPage> {
    const doc = await this.connection.collection<OrgPolicyDocument>(ORG_POLICY_COLLECTION).findOne({ _id: query.orgId }, { projection: { allowedMethods: 1 } });
    const policy = await this.exemptions.forCompliance(query.orgId, doc?.allowedMethods ?? [...MFA_METHODS], this.clock.now());
    return this.compliance.page(query.orgId, policy, {
      status: query.status,
      cursor: query.cursor,
      limit: query.limit,
    });
  }
}
