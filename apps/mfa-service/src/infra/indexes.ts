import { AllowedShape, EVENT_LOG_COLLECTION, IndexCatalogue } from '@mfa/persistence';
import { ORG_MEMBERS_COLLECTION } from '../membership/org-member.document';
import { ENFORCEMENT_JOBS_COLLECTION } from '../org-policy/enforcement/enforcement-job.document';
import { ORG_POLICY_COLLECTION } from '../org-policy/infra/org-policy.document';
import { RATE_LIMITS_COLLECTION } from '../user-mfa/infra/rate-limiter';
import { USER_MFA_COLLECTION } from '../user-mfa/infra/user-mfa.document';

/**
 * Every secondary index of the service, one entry per collection: created at start-up by name,
 * undeclared ones dropped (ensureIndexes). Changing a definition means a new name (`_vN`).
 * The e2e suite checks every query it sends against this list (test/harness/index-coverage.js).
 */
// The relay polls `{outboxSince: {$exists: true}}` sorted by outboxSince every second: sparse, so
// the index holds only documents with pending events instead of every document.
const OUTBOX_PENDING = { name: 'outboxSince_sparse_v1', key: { outboxSince: 1 }, sparse: true } as const;

export const INDEX_CATALOGUE: IndexCatalogue = {
  [USER_MFA_COLLECTION]: [
    OUTBOX_PENDING,
    { name: 'orgId_v1', key: { orgId: 1 } },
    { name: 'magicLinkHashes_v1', key: { magicLinkHashes: 1 }, multikey: ['magicLinkHashes'] },
  ],
  [ORG_POLICY_COLLECTION]: [
    OUTBOX_PENDING,
    // The scheduler's scan of enforced orgs in _id pages.
    { name: 'enforced_id_v1', key: { enforced: 1, _id: 1 } },
  ],
  [ORG_MEMBERS_COLLECTION]: [
    { name: 'orgId_userId_v1', key: { orgId: 1, userId: 1 } },
    { name: 'userId_v1', key: { userId: 1 } },
  ],
  // The scheduler's query for running jobs whose lease expired, oldest first.
  [ENFORCEMENT_JOBS_COLLECTION]: [{ name: 'status_createdAt_v1', key: { status: 1, createdAt: 1 } }],
  [RATE_LIMITS_COLLECTION]: [{ name: 'expiresAt_v1', key: { expiresAt: 1 } }],
  [EVENT_LOG_COLLECTION]: [
    // Replay reads in (time, sequence, id) order.
    { name: 'time_sequence_id_v1', key: { time: 1, sequence: 1, _id: 1 } },
    { name: 'type_time_v1', key: { type: 1, time: 1 } },
    { name: 'orgId_time_v1', key: { orgId: 1, time: 1 } },
    { name: 'userId_time_v1', key: { userId: 1, time: 1 } },
  ],
};

/** Query shapes no index serves, on purpose: each with why and what bounds its cost. */
export const INDEX_COVERAGE_ALLOW_LIST: AllowedShape[] = [];
