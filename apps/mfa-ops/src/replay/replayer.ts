import { EVENT_CATALOGUE, encodeEvent, isEventType } from '@mfa/contracts';
import type { OutgoingRecord } from '@mfa/messaging';
import { EVENT_LOG_COLLECTION, EventLogDocument, StoredEvent, toEnvelope } from '@mfa/persistence';
import type { Collection, Db, Document } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { silentProgress, ProgressSink } from '../progress';
import { ReplayJobStore, ReplayTarget } from './replay-job';
import { REPLAY_SORT, remainingFilter, ReplayPosition, ReplaySelection } from './replay-selection';

/** What the replay needs from Kafka: an ordered send that resolves once acknowledged (acks=all). */
export interface EventPublisher {
  send(records: OutgoingRecord[]): Promise<void>;
}

export interface ReplayRequest {
  jobName: string;
  selection: ReplaySelection;
  target: ReplayTarget;
  batchSize: number;
  restart: boolean;
}

export interface ReplayCount {
  type: string;
  topic: string;
  count: number;
}

export interface ReplayPlan {
  request: ReplayRequest;
  /** The job's checkpoint this run continues from (null: from the beginning). */
  position: ReplayPosition | null;
  alreadyPublished: number;
  /** Events still to publish, by type and original topic. */
  counts: ReplayCount[];
  remaining: number;
  /** Topics the remaining events go to. */
  targetTopics: string[];
  resuming: boolean;
  alreadyCompleted: boolean;
}

export interface ReplayOutcome {
  jobName: string;
  status: 'completed' | 'interrupted';
  /** This run only. */
  published: number;
  byType: Record<string, number>;
  topics: string[];
  durationMs: number;
  /** The job as a whole, across runs. */
  job: { published: number; total: number; runs: number };
}

export interface RunOptions {
  /** Aborting stops the run after the batch in flight is acknowledged and checkpointed. */
  signal?: AbortSignal;
  progress?: ProgressSink;
}

export interface ReplayerOptions {
  source: string;
  owner?: string;
  leaseMs?: number;
  /** Batches read per query (default: as many as fit in 50,000 events). Each query is a fresh keyset query from the checkpoint. */
  batchesPerQuery?: number;
}

/** Events read per query: one query for most replays, bounded for MongoDB's in-memory top-k sort. */
const MAX_PAGE = 50_000;

export class ReplayDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayDataError';
  }
}

/**
 * Re-publishes a selection of the event log, in (time, sequence, id) order, in acknowledged
 * batches, checkpointing the job after each one. At-least-once: a crash between a batch's
 * acknowledgement and its checkpoint re-sends that batch on resume (consumers de-duplicate
 * by event id).
 */
export class Replayer {
  private readonly events: Collection<EventLogDocument>;
  private readonly jobs: ReplayJobStore;
  private readonly leaseMs: number;

  constructor(
    db: Db,
    private readonly options: ReplayerOptions,
  ) {
    this.events = db.collection<EventLogDocument>(EVENT_LOG_COLLECTION);
    this.leaseMs = options.leaseMs ?? 30_000;
    const owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.jobs = new ReplayJobStore(db, owner, this.leaseMs);
  }

  /** Read-only: checks the job name against its stored selection and counts what is left. */
  async plan(request: ReplayRequest): Promise<ReplayPlan> {
    const existing = await this.jobs.find(request.jobName);
    if (existing && !request.restart) this.jobs.assertCompatible(existing, request.selection, request.target);
    const resume = existing && !request.restart ? existing : null;
    const alreadyCompleted = resume?.status === 'completed';
    const position = resume?.position ?? null;
    const counts = alreadyCompleted ? [] : await this.count(remainingFilter(request.selection, position));
    const remaining = counts.reduce((sum, c) => sum + c.count, 0);
    const targetTopics = request.target.topic ? (remaining > 0 ? [request.target.topic] : []) : [...new Set(counts.map((c) => c.topic))].sort();
    return {
      request,
      position,
      alreadyPublished: resume?.published ?? 0,
      counts,
      remaining,
      targetTopics,
      resuming: resume !== null && !alreadyCompleted,
      alreadyCompleted,
    };
  }

  /**
   * Time of the oldest event still to publish, overall or of one original topic; null if none.
   * Replayed records keep that time as their Kafka timestamp, which time-based retention reads.
   */
  async oldestRemaining(plan: ReplayPlan, originalTopic?: string): Promise<Date | null> {
    const filter = remainingFilter(plan.request.selection, plan.position) as Document;
    const scoped = originalTopic ? { $and: [filter, { topic: originalTopic }] } : filter;
    const [oldest] = await this.events.find(scoped, { sort: REPLAY_SORT, limit: 1, projection: { time: 1 } }).toArray();
    return oldest?.time ?? null;
  }

  async run(plan: ReplayPlan, publisher: EventPublisher, options: RunOptions = {}): Promise<ReplayOutcome> {
    const { request } = plan;
    const { signal } = options;
    const progress = options.progress ?? silentProgress;
    const started = Date.now();
    const job = await this.jobs.claim(request.jobName, request.selection, request.target, {
      restart: request.restart,
      remaining: plan.remaining,
    });
    let position = job.position;
    let published = job.published;
    const byType = { ...job.byType };
    const run = { published: 0, byType: {} as Record<string, number>, topics: new Set<string>() };

    const flush = async (batch: EventLogDocument[]) => {
      const records = batch.map((doc) => this.record(doc, request.target));
      await publisher.send(records);
      for (const doc of batch) {
        byType[doc.type] = (byType[doc.type] ?? 0) + 1;
        run.byType[doc.type] = (run.byType[doc.type] ?? 0) + 1;
      }
      for (const r of records) run.topics.add(r.topic);
      const last = batch[batch.length - 1];
      position = { time: last.time, sequence: last.sequence, id: last._id };
      published += batch.length;
      run.published += batch.length;
      await this.jobs.checkpoint(request.jobName, { position, published, byType });
      progress.update(published);
    };

    // Keeps the claim alive while a batch waits on a slow broker; checkpoints renew it too.
    const heartbeat = setInterval(() => void this.jobs.renew(request.jobName).catch(() => undefined), Math.max(1000, this.leaseMs / 3));
    heartbeat.unref();
    progress.start(job.total, published);
    let interrupted = false;
    try {
      // Pages rather than one long cursor: each query restarts from the checkpoint, so a
      // run of millions of events never depends on one server cursor staying alive. Pages
      // are large because each query may scan and sort the whole selection (FerretDB v1 has
      // no sort pushdown); capped so MongoDB's top-k sort stays far below its memory limit.
      const batchesPerQuery = this.options.batchesPerQuery ?? Math.max(1, Math.floor(MAX_PAGE / request.batchSize));
      const pageSize = request.batchSize * batchesPerQuery;
      pages: for (;;) {
        if (signal?.aborted) {
          interrupted = true;
          break;
        }
        const cursor = this.events.find(remainingFilter(request.selection, position) as Document, {
          sort: REPLAY_SORT,
          limit: pageSize,
          batchSize: Math.min(pageSize, 1000),
        });
        let seen = 0;
        let batch: EventLogDocument[] = [];
        try {
          for await (const doc of cursor) {
            seen += 1;
            batch.push(this.checked(doc));
            if (batch.length === request.batchSize) {
              await flush(batch);
              batch = [];
              if (signal?.aborted) {
                interrupted = true;
                break pages;
              }
            }
          }
          if (batch.length > 0) await flush(batch);
        } finally {
          await cursor.close().catch(() => undefined);
        }
        if (seen < pageSize) break;
      }
      await this.jobs.finish(request.jobName, interrupted ? 'interrupted' : 'completed');
    } catch (error) {
      // The checkpoint stays at the last acknowledged batch; the job can be resumed.
      await this.jobs.finish(request.jobName, 'interrupted', (error as Error).message).catch(() => undefined);
      throw error;
    } finally {
      clearInterval(heartbeat);
      progress.finish();
    }
    return {
      jobName: request.jobName,
      status: interrupted ? 'interrupted' : 'completed',
      published: run.published,
      byType: run.byType,
      topics: [...run.topics].sort(),
      durationMs: Date.now() - started,
      job: { published, total: Math.max(job.total, published), runs: job.runs },
    };
  }

  /** Remaining events by type and original topic (one aggregation; FerretDB v1 supports $group). */
  private async count(filter: Document): Promise<ReplayCount[]> {
    const rows = await this.events
      .aggregate<{
        _id: { type: string; topic: string };
        count: number;
      }>([{ $match: filter }, { $group: { _id: { type: '$type', topic: '$topic' }, count: { $sum: 1 } } }])
      .toArray();
    return rows
      .map((row) => ({ type: row._id.type, topic: row._id.topic, count: row.count }))
      .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type) || a.topic.localeCompare(b.topic));
  }

  /** Last line of defence: the query already excludes delivery events; never publish one anyway. */
  private checked(doc: EventLogDocument): EventLogDocument {
    if (doc.replayable === false || (isEventType(doc.type) && !EVENT_CATALOGUE[doc.type].replayable)) {
      throw new ReplayDataError(`refusing to replay delivery event ${doc._id} (${doc.type})`);
    }
    if (!(doc.time instanceof Date) || !Number.isSafeInteger(doc.sequence) || typeof doc.key !== 'string' || typeof doc.topic !== 'string') {
      throw new ReplayDataError(`event ${doc._id} in ${EVENT_LOG_COLLECTION} is malformed (time, sequence, key or topic)`);
    }
    return doc;
  }

  private record(doc: EventLogDocument, target: ReplayTarget): OutgoingRecord {
    const { _id, publishedAt: _publishedAt, ...stored } = doc;
    const event: StoredEvent = { ...stored, id: stored.id ?? _id };
    const { key, value, headers } = encodeEvent(toEnvelope(event, this.options.source, true));
    return { topic: target.topic ?? doc.topic, key, value, headers, timestamp: doc.time.getTime() };
  }
}
