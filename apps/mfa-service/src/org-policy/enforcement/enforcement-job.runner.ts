import { Inject, Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { APP_CONFIG, AppConfig, CLOCK, Clock } from '@mfa/common';
import { type CommandMeta, MAINTENANCE_TIMEOUT } from '@mfa/persistence';
import type { Collection } from 'mongodb';
import type { Connection } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ORG_MEMBERS_COLLECTION, OrgMemberDocument } from '../../membership/org-member.document';
import { isSuperseded } from '../domain/enforcement-lifecycle';
import { OrgPolicyRepository } from '../infra/org-policy.repository';
import { ENFORCEMENT_JOBS_COLLECTION, EnforcementJobDocument } from './enforcement-job.document';
import { MemberNoticeWriter } from './member-notices.writer';

/** Members per batch: one member read, one user read, then the writes; the lease is renewed after each. */
export const MEMBER_BATCH_SIZE = 200;
// Renewed at every checkpoint, so it only has to outlast one batch; a crashed instance's job is taken over after it.
const LEASE_MS = 60_000;

export type JobOutcome = 'done' | 'superseded' | 'busy' | 'lost' | 'stopped';

/**
 * Runs one enforcement job: streams the org's members in `_id` order (a page at a time, never
 * all in memory), lets MemberNoticeWriter notify each batch, then checkpoints the last member processed.
 * The policy is re-read before every batch, so a lift or newer enforcement stops the job.
 *
 * Several instances: a job is claimed with a time-limited lease (real clock, like the outbox
 * relay); the checkpoint renews it and fails once another instance took the job over. A crash
 * between a batch's notices and its checkpoint repeats that batch on resume, and the per-member
 * markers written atomically with the notices make the repeat a no-op: no duplicates.
 */
@Injectable()
export class EnforcementJobRunner {
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly jobs: Collection<EnforcementJobDocument>;
  private readonly members: Collection<OrgMemberDocument>;
  /** Member ids read per query (MFA_ENFORCEMENT_PAGE_SIZE): many batches per (on FerretDB, scanning) query, bounded in memory. */
  private readonly pageSize: number;
  private stopping = false;

  constructor(
    @InjectConnection() connection: Connection,
    private readonly orgs: OrgPolicyRepository,
    private readonly writer: MemberNoticeWriter,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.pageSize = config.enforcement.memberPageSize;
    this.jobs = connection.db!.collection<EnforcementJobDocument>(ENFORCEMENT_JOBS_COLLECTION);
    this.members = connection.db!.collection<OrgMemberDocument>(ORG_MEMBERS_COLLECTION);
  }

  /** Shutdown: the batch in flight finishes and is checkpointed, then the lease is given back. */
  stop(): void {
    this.stopping = true;
  }

  async run(jobId: string): Promise<JobOutcome> {
    const job = await this.claim(jobId);
    if (!job) return 'busy';
    try {
      return await this.process(job);
    } catch (error) {
      await this.release(job._id);
      throw error;
    }
  }

  private async claim(jobId: string): Promise<EnforcementJobDocument | null> {
    const now = new Date();
    return this.jobs.findOneAndUpdate(
      { _id: jobId, status: 'running', $or: [{ leaseUntil: { $exists: false } }, { leaseUntil: { $lt: now } }, { leaseOwner: this.owner }] },
      { $set: { leaseOwner: this.owner, leaseUntil: new Date(now.getTime() + LEASE_MS) } },
      { returnDocument: 'after' },
    );
  }

  /**
   * Keyset pages (`_id > last`, limit) rather than one long-lived cursor: no server cursor is
   * held open across the batch's writes (FerretDB wedges when one is), and every page resumes
   * from the checkpoint the same way a restarted job does. On MongoDB each page is an `_id` index
   * range; on FerretDB v1 it is a scan of the collection, so a page holds many batches (only
   * member ids, ≈ 100 bytes each) and each batch is notified and checkpointed on its own.
   */
  private async process(job: EnforcementJobDocument): Promise<JobOutcome> {
    const meta: CommandMeta = { correlationId: job.correlationId, causationId: job.causationId, actorId: 'mfa-service', actorType: 'system' };
    let after = job.cursor ?? `${job.orgId}:`;
    for (;;) {
      // `orgId:` prefix range on _id; the orgId test guards org ids containing ':'.
      const page = await this.members
        .find(
          { orgId: job.orgId, _id: { $gt: after, $lt: `${job.orgId};` } },
          { projection: { userId: 1 }, sort: { _id: 1 }, limit: this.pageSize, ...MAINTENANCE_TIMEOUT },
        )
        .toArray();
      // An empty page is still one (empty) step: it re-reads the policy before the job is marked done.
      const batches =
        page.length === 0
          ? [page]
          : Array.from({ length: Math.ceil(page.length / MEMBER_BATCH_SIZE) }, (_, i) => page.slice(i * MEMBER_BATCH_SIZE, (i + 1) * MEMBER_BATCH_SIZE));
      for (const batch of batches) {
        const outcome = await this.step(job, batch, meta);
        if (outcome) return outcome;
      }
      if (page.length < this.pageSize) return this.finish(job, 'done');
      after = page[page.length - 1]._id;
    }
  }

  /** One batch: re-read the policy, notify, checkpoint. An outcome when the job must stop here. */
  private async step(job: EnforcementJobDocument, batch: Array<Pick<OrgMemberDocument, '_id' | 'userId'>>, meta: CommandMeta): Promise<JobOutcome | null> {
    if (this.stopping) {
      await this.release(job._id);
      return 'stopped';
    }
    const { state } = await this.orgs.load(job.orgId);
    if (!state || isSuperseded(state, job.revision)) return this.finish(job, 'superseded');
    if (batch.length === 0) return null;
    const notified = await this.writer.notify(
      job.kind,
      state,
      batch.map((m) => m.userId),
      meta,
      this.clock.now(),
    );
    const now = new Date();
    const checkpoint = await this.jobs.updateOne(
      { _id: job._id, leaseOwner: this.owner },
      {
        $set: { cursor: batch[batch.length - 1]._id, updatedAt: now, leaseUntil: new Date(now.getTime() + LEASE_MS) },
        $inc: { scanned: batch.length, notified },
      },
    );
    return checkpoint.matchedCount === 1 ? null : 'lost';
  }

  private async finish(job: EnforcementJobDocument, status: 'done' | 'superseded'): Promise<JobOutcome> {
    const now = new Date();
    const result = await this.jobs.updateOne(
      { _id: job._id, leaseOwner: this.owner },
      {
        $set: { status, finishedAt: now, updatedAt: now, ...(status === 'superseded' ? { supersededAt: now } : {}) },
        $unset: { leaseOwner: '', leaseUntil: '' },
      },
    );
    return result.matchedCount === 1 ? status : 'lost';
  }

  private async release(jobId: string): Promise<void> {
    await this.jobs.updateOne({ _id: jobId, leaseOwner: this.owner }, { $unset: { leaseOwner: '', leaseUntil: '' } }).catch(() => undefined);
  }
}
