import type { AppConfig } from '@mfa/common';
import { AllowedShape, EVENT_LOG_COLLECTION, IndexCatalogue, IndexSpec } from '@mfa/persistence';
import { MEMBERSHIP_INBOX_COLLECTION, ORG_MEMBERS_COLLECTION } from '../membership/org-member.document';
import { OUTBOX_DEAD_LETTERS_COLLECTION, OUTBOX_LEASES_COLLECTION } from '../outbox/outbox-relay';
import { PENDING_OUTBOXES_COLLECTION } from '../outbox/pending-outboxes';
import { ENFORCEMENT_JOBS_COLLECTION } from '../org-policy/enforcement/enforcement-job.document';
import { ORG_EXEMPTIONS_COLLECTION } from '../org-policy/infra/org-exemption.document';
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

const DAY_SECONDS = 86_400;

/** A TTL index; the retention is part of the name, so changing it replaces the index. */
const ttl = (field: string, days: number): IndexSpec => ({ name: `${field}_ttl_${days}d_v1`, key: { [field]: 1 }, expireAfterSeconds: days * DAY_SECONDS });

export const DEFAULT_RETENTION: AppConfig['retention'] = {
  eventLogDays: 0,
  membershipInboxDays: 30,
  enforcementJobsDays: 30,
  outboxDeadLettersDays: 90,
  sweepIntervalMs: 3_600_000,
};

export function indexCatalogue(retention: AppConfig['retention']): IndexCatalogue {
  const catalogue: IndexCatalogue = {
    [USER_MFA_COLLECTION]: [
      OUTBOX_PENDING,
      // Org lookups and the compliance counts of each enforce and org read (only the org's users with an
      // allowed method are touched); its orgId prefix serves plain orgId queries.
      { name: 'orgId_enabledMethods_v1', key: { orgId: 1, enabledMethods: 1 }, multikey: ['enabledMethods'] },
      { name: 'magicLinkHashes_v1', key: { magicLinkHashes: 1 }, multikey: ['magicLinkHashes'] },
      // The expired-entries sweep: users holding a magic link or challenge past its grace (only written documents have the field).
      { name: 'pruneAt_sparse_v1', key: { pruneAt: 1 }, sparse: true },
    ],
    [ORG_POLICY_COLLECTION]: [
      OUTBOX_PENDING,
      // The scheduler's scan of enforced orgs in _id pages.
      { name: 'enforced_id_v1', key: { enforced: 1, _id: 1 } },
    ],
    [ORG_EXEMPTIONS_COLLECTION]: [
      // The org's exemptions in force (`exemptions: n`, compliance counts in userId pages); a member's own is an `_id` read.
      { name: 'orgId_userId_v1', key: { orgId: 1, userId: 1 } },
      // Expired and revoked exemptions go a day after `activeUntil` (TTL, or the sweep without it): until then
      // a late, older change (org-exemptions.ts) finds the newer revision there and cannot bring one back.
      ttl('activeUntil', 1),
    ],
    [ORG_MEMBERS_COLLECTION]: [
      { name: 'orgId_userId_v1', key: { orgId: 1, userId: 1 } },
      { name: 'userId_v1', key: { userId: 1 } },
    ],
    // The scheduler's query for running jobs whose lease expired, oldest first.
    [ENFORCEMENT_JOBS_COLLECTION]: [{ name: 'status_createdAt_v1', key: { status: 1, createdAt: 1 } }],
    [RATE_LIMITS_COLLECTION]: [{ name: 'expiresAt_v1', key: { expiresAt: 1 } }],
    // The relay's poll and the backlog gauge read the pending-outbox markers oldest first (a small collection).
    [PENDING_OUTBOXES_COLLECTION]: [{ name: 'since_v1', key: { since: 1 } }],
    // Live leases by expiry; a lease its holder never released (crash) goes an hour after it ran out.
    [OUTBOX_LEASES_COLLECTION]: [{ name: 'until_ttl_1h_v1', key: { until: 1 }, expireAfterSeconds: 3_600 }],
    [EVENT_LOG_COLLECTION]: [
      // Time-ordered reads of the log (replay itself reads in _id order since issue 16).
      { name: 'time_sequence_id_v1', key: { time: 1, sequence: 1, _id: 1 } },
      { name: 'type_time_v1', key: { type: 1, time: 1 } },
      { name: 'orgId_time_v1', key: { orgId: 1, time: 1 } },
      { name: 'userId_time_v1', key: { userId: 1, time: 1 } },
      // The audit store: kept forever unless EVENT_LOG_RETENTION_DAYS is set.
      ...(retention.eventLogDays > 0 ? [ttl('time', retention.eventLogDays)] : []),
    ],
    // Processed entries only: processedAt is set when an event is done.
    [MEMBERSHIP_INBOX_COLLECTION]: [ttl('processedAt', retention.membershipInboxDays)],
    [OUTBOX_DEAD_LETTERS_COLLECTION]: [ttl('deadLetteredAt', retention.outboxDeadLettersDays)],
  };
  // Superseded jobs only (supersededAt): a done job of the current revision keeps the scheduler from redoing it.
  catalogue[ENFORCEMENT_JOBS_COLLECTION].push(ttl('supersededAt', retention.enforcementJobsDays));
  return catalogue;
}

/** The catalogue with the default retention (what the index-coverage check judges). */
export const INDEX_CATALOGUE: IndexCatalogue = indexCatalogue(DEFAULT_RETENTION);

/** Query shapes no index serves, on purpose: each with why and what bounds its cost. */
export const INDEX_COVERAGE_ALLOW_LIST: AllowedShape[] = [];
