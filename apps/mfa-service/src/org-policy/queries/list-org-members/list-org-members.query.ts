import { Query } from '@nestjs/cqrs';
import type { ComplianceStatus, MemberPage } from '../../../membership/compliance.reader';

export class ListOrgMembersQuery extends Query<MemberPage> {
  constructor(
    readonly orgId: string,
    readonly status: ComplianceStatus | undefined,
    readonly cursor: string | undefined,
    readonly limit: number,
  ) {
    super();
  }
}
