import type { NoticeKind } from '../domain/enforcement-lifecycle';

export const ENFORCEMENT_JOBS_COLLECTION = 'enforcement_jobs';

/**
 * One enforcement lifecycle job: tell an org's members "set up MFA" (fan-out) or "deadline
 * passed", for one enforcement revision. `_id` = enforcementJobId(kind, orgId, revision), so a job
 * is created once however many instances or retries ask for it. Progress is the last org_members
 * `_id` processed (members are streamed in `_id` order); the lease says which instance runs it now.
 */
export interface EnforcementJobDocument {
  _id: string;
  kind: NoticeKind;
  orgId: string;
  revision: number;
  status: 'running' | 'done' | 'superseded';
  cursor: string | null;
  scanned: number;
  notified: number;
  /** Copied onto every event the job writes (the enforcing request, or the job itself). */
  correlationId: string;
  causationId: string;
  createdAt: Date;
  updatedAt: Date;
  finishedAt?: Date;
  /** Set when superseded: such jobs expire after ENFORCEMENT_JOBS_RETENTION_DAYS (done ones stay, see infra/indexes.ts). */
  supersededAt?: Date;
  leaseOwner?: string;
  leaseUntil?: Date;
}
