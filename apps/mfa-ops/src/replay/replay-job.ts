import type { Collection, Db } from 'mongodb';
import { UsageError } from './replay-options';
import { describeSelection, ReplayCursor, ReplayPosition, ReplaySelection, sameSelection, START } from './replay-selection';

export const REPLAY_JOBS_COLLECTION = 'replay_jobs';

/** `interrupted`: stopped by a signal or a failure; `running` with an expired lease: crashed. */
export type ReplayJobStatus = 'running' | 'interrupted' | 'completed';

export interface ReplayTarget {
  /** `null`: each event's original topic. */
  topic: string | null;
}

export interface ReplayProgress {
  cursor: ReplayCursor;
  published: number;
  byType: Record<string, number>;
}

/** A resumable replay's checkpoint, one document per job name. */
export interface ReplayJobDocument extends Omit<ReplayProgress, 'cursor'> {
  _id: string;
  /** Absent on jobs started before replays paged by id. */
  cursor?: ReplayCursor;
  /** Such a job's checkpoint in (time, sequence, id) order: a fixed filter once resumed, never advanced. */
  position?: ReplayPosition | null;
  selection: ReplaySelection;
  target: ReplayTarget;
  status: ReplayJobStatus;
  /** Events in the selection: published so far plus what remained when the last run started, if it counted; null: not counted. */
  total: number | null;
  runs: number;
  /** The process running it and until when its claim holds (renewed by checkpoints and a heartbeat). */
  owner: string | null;
  leaseUntil: Date | null;
  startedAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  lastError?: string;
}

export class JobBusyError extends Error {
  constructor(job: string, owner: string | null, leaseUntil: Date | null) {
    super(
      `job "${job}" is being run by ${owner ?? 'another process'}` +
        (leaseUntil ? ` (claim held until ${leaseUntil.toISOString()}; if that process died, retry after that time)` : ''),
    );
    this.name = 'JobBusyError';
  }
}

export class JobLostError extends Error {
  constructor(job: string) {
    super(`job "${job}" was taken over by another process (our claim expired); stopping`);
    this.name = 'JobLostError';
  }
}

const sameTarget = (a: ReplayTarget, b: ReplayTarget) => (a.topic ?? null) === (b.topic ?? null);
const describeTarget = (t: ReplayTarget) => (t.topic ? `topic ${t.topic}` : 'the original topics');

/**
 * Checkpoints of replay jobs in `replay_jobs`. A job is claimed by one process at a time
 * through a lease, so two operators cannot run the same job concurrently; a crashed run's
 * lease expires and the job can then be resumed.
 */
export class ReplayJobStore {
  private readonly jobs: Collection<ReplayJobDocument>;

  constructor(
    db: Db,
    private readonly owner: string,
    private readonly leaseMs = 30_000,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.jobs = db.collection<ReplayJobDocument>(REPLAY_JOBS_COLLECTION);
  }

  find(name: string): Promise<ReplayJobDocument | null> {
    return this.jobs.findOne({ _id: name });
  }

  /** Refuses to reuse a job name for a different selection or target unless restarting. */
  assertCompatible(existing: ReplayJobDocument, selection: ReplaySelection, target: ReplayTarget): void {
    if (sameSelection(existing.selection, selection) && sameTarget(existing.target, target)) return;
    throw new UsageError(
      `job "${existing._id}" was started with a different selection or target ` +
        `(${describeSelection(existing.selection)} to ${describeTarget(existing.target)}; now ${describeSelection(selection)} to ${describeTarget(target)}). ` +
        'Repeat its original options to resume it, add --restart to start it over with the new ones, or pick another --job name.',
    );
  }

  /**
   * Takes the job for this process: creates it, resumes it from its checkpoint, or (restart)
   * resets it. `total` is what the caller counted as left to publish (null: not counted) plus what is already done.
   */
  async claim(
    name: string,
    selection: ReplaySelection,
    target: ReplayTarget,
    options: { restart: boolean; remaining: number | null },
  ): Promise<ReplayJobDocument> {
    const now = this.now();
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    const existing = await this.find(name);
    if (!existing) {
      const fresh: ReplayJobDocument = {
        _id: name,
        selection,
        target,
        status: 'running',
        cursor: START,
        position: null,
        published: 0,
        byType: {},
        total: options.remaining,
        runs: 1,
        owner: this.owner,
        leaseUntil,
        startedAt: now,
        updatedAt: now,
        completedAt: null,
      };
      try {
        await this.jobs.insertOne(fresh);
      } catch (error) {
        if ((error as { code?: number }).code === 11000) throw new JobBusyError(name, null, null);
        throw error;
      }
      return fresh;
    }
    if (!options.restart) this.assertCompatible(existing, selection, target);
    const reset = options.restart
      ? { selection, target, cursor: START, position: null, published: 0, byType: {}, total: options.remaining, startedAt: now, completedAt: null }
      : { total: options.remaining === null ? null : existing.published + options.remaining };
    const result = await this.jobs.updateOne(
      {
        _id: name,
        $or: [{ status: { $ne: 'running' } }, { leaseUntil: { $lt: now } }, { owner: this.owner }],
      },
      { $set: { ...reset, status: 'running', owner: this.owner, leaseUntil, updatedAt: now }, $inc: { runs: 1 } },
    );
    if (result.matchedCount === 0) throw new JobBusyError(name, existing.owner, existing.leaseUntil);
    const claimed = await this.find(name);
    if (!claimed) throw new JobBusyError(name, null, null);
    return claimed;
  }

  /** Records an acknowledged batch. Throws JobLostError if another process took the job. */
  async checkpoint(name: string, progress: ReplayProgress): Promise<void> {
    const now = this.now();
    const result = await this.jobs.updateOne(
      { _id: name, owner: this.owner },
      { $set: { ...progress, updatedAt: now, leaseUntil: new Date(now.getTime() + this.leaseMs) } },
    );
    if (result.matchedCount === 0) throw new JobLostError(name);
  }

  /** Extends the claim while a slow batch is in flight. False when the job is no longer ours. */
  async renew(name: string): Promise<boolean> {
    const now = this.now();
    const result = await this.jobs.updateOne(
      { _id: name, owner: this.owner, status: 'running' },
      { $set: { leaseUntil: new Date(now.getTime() + this.leaseMs) } },
    );
    return result.matchedCount === 1;
  }

  /** Ends this process's run: completed, or interrupted (resumable), releasing the claim. */
  async finish(name: string, status: 'completed' | 'interrupted', lastError?: string, total?: number): Promise<void> {
    const now = this.now();
    await this.jobs.updateOne(
      { _id: name, owner: this.owner },
      {
        $set: {
          status,
          owner: null,
          leaseUntil: null,
          updatedAt: now,
          ...(status === 'completed' ? { completedAt: now } : {}),
          ...(total !== undefined ? { total } : {}),
          ...(lastError ? { lastError } : {}),
        },
        ...(lastError ? {} : { $unset: { lastError: '' as const } }),
      },
    );
  }
}
