import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { AggregateStore } from '@mfa/persistence';
import type { Document } from 'mongodb';
import type { Connection } from 'mongoose';
import { OutboxRelay } from '../../outbox/outbox-relay';
import { OrgPolicyState } from '../domain/org-policy';
import { exemptionChangeKey, ExemptionChangeDocument, ORG_POLICY_COLLECTION } from './org-policy.document';
import { OrgPolicyReadCache } from './org-policy.read-cache';

/** OrgPolicy aggregates in MongoDB (one document per org, state and outbox together). */
@Injectable()
export class OrgPolicyRepository extends AggregateStore<OrgPolicyState> {
  constructor(@InjectConnection() connection: Connection, relay: OutboxRelay, readCache: OrgPolicyReadCache) {
    super(
      connection.db!.collection(ORG_POLICY_COLLECTION),
      'org',
      {
        fromDocument: (doc: Document): OrgPolicyState => ({
          orgId: doc._id,
          enforced: doc.enforced ?? false,
          enforcedAt: doc.enforcedAt ?? null,
          enforcedBy: doc.enforcedBy ?? null,
          gracePeriodDays: doc.gracePeriodDays ?? 0,
          enforcementDeadline: doc.enforcementDeadline ?? null,
          allowedMethods: doc.allowedMethods ?? [],
          exemptionChanges: Object.values((doc.exemptionChanges ?? {}) as Record<string, ExemptionChangeDocument>),
          enforcementRevision: doc.enforcementRevision ?? 0,
          rememberDeviceDays: doc.rememberDeviceDays ?? 0,
        }),
        toDocument: ({ orgId: _orgId, exemptionChanges, ...state }: OrgPolicyState): Document => ({
          ...state,
          exemptionChanges: Object.fromEntries(exemptionChanges.map((change) => [exemptionChangeKey(change.userId), change])),
        }),
      },
      (orgId, events) => {
        readCache.invalidate(orgId);
        if (events.length > 0) relay.wake(ORG_POLICY_COLLECTION, orgId);
      },
      undefined,
      (orgId, events, at) => relay.markPending(ORG_POLICY_COLLECTION, [{ id: orgId, events: events.length }], at),
    );
  }
}
