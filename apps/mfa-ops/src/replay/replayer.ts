import { EVENT_CATALOGUE, encodeEvent, isEventType } from '@mfa/contracts';
import type { OutgoingRecord } from '@mfa/messaging';
import { EVENT_LOG_COLLECTION, EventLogDocument, StoredEvent, toEnvelope } from '@mfa/persistence';
import type { Collection, Db, Document } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { silentProgress, ProgressSink } from '../progress';
import { ReplayJobStore, ReplayTarget } from './replay-job';
import {
  isReplayable,
  pageQuery,
  REPLAY_SORT,
  remainingFilter,
  ReplayCursor,
  ReplayPosition,
  ReplaySelection,
  selectedTopics,
  START,
} from './replay-selection';

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
  /** The checkpoint of a job started before replays paged by id (null otherwise): a fixed filter. */
  position: ReplayPosition | null;
  /** Where the job's last run stopped. */
  cursor: ReplayCursor;
  alreadyPublished: number;
  /** Events still to publish, by type and original topic; null when the plan did not count. */
  counts: ReplayCount[] | null;
  remaining: number | null;
  /** Topics the remaining events go to (uncounted: the topics of the selected types). */
  targetTopics: string[];
  resuming: boolean;
  alreadyCompleted: boolean;
}

export interface PlanOptions {
  /** Count what is left by type and topic (one scan of the selection); the dry run needs it, publishing does not. Default true. */
  count?: boolean;
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
  /**
   * Events read per query (default 10,000 when the whole log is read by `_id` alone — its first
   * pages smaller, 1,000 then 4,000, so that sending starts sooner —, else 50,000). Each query is a
   * fresh `_id` range from where the reading stands.
   */
  pageSize?: number;
  /**
   * How far (ms) the clocks of two instances may differ: an event is sent once events with ids
   * this much later were read, so an earlier sequence of its key with a larger id is already in
   * hand. Default 5,000.
   */
  clockSkewMs?: number;
}

/**
 * Bounds one query's memory. A page read by `_id` alone is one index range cut at the page size
 * (FerretDB included, with infra/ferretdb/patch-upstream.sh fix 5), so it is small enough for the
 * next page to be read while this one is sent. A filtered page may read past what its filter skips
 * (on FerretDB up to the end of the `_id` range), so it stays large.
 */
const DEFAULT_ID_PAGE = 10_000;
const FIRST_ID_PAGE = 1_000;
const DEFAULT_FILTERED_PAGE = 50_000;
const DEFAULT_CLOCK_SKEW_MS = 5_000;
/** Keys' last published sequences are remembered this long (id time) to detect a skew beyond the window. */
const SKEW_CHECK_HORIZON_MS = 60_000;

export class ReplayDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayDataError';
  }
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The creation time (ms) in a UUIDv7. */
function idTime(id: string): number {
  return parseInt(id.slice(0, 8), 16) * 0x10000 + parseInt(id.slice(9, 13), 16);
}

interface Pending {
  doc: EventLogDocument;
  /** Reached in id order (settled); sent once every earlier sequence of its key read so far is sent. */
  processed: boolean;
}

/**
 * Re-publishes a selection of the event log in acknowledged batches, checkpointing the job
 * after each one. At-least-once: a crash between a batch's acknowledgement and its
 * checkpoint re-sends that batch on resume (consumers de-duplicate by event id).
 *
 * Order: events are read in `_id` order (UUIDv7: creation time), one index range per page,
 * and each key's events are sent in `sequence` order. Two instances with skewed clocks can
 * give a later sequence of one aggregate a smaller id; so an event is only processed once
 * ids `clockSkewMs` later were read, and it waits while an earlier sequence of its key read
 * so far is unprocessed. The checkpoint is the last processed id plus the waiting ids
 * (`ReplayCursor`). A skew larger than the window is detected (an event older than a
 * sequence of its key already sent) and fails the run instead of publishing out of order.
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

  /** Read-only: checks the job name against its stored selection and (unless told not to) counts what is left. */
  async plan(request: ReplayRequest, options: PlanOptions = {}): Promise<ReplayPlan> {
    const existing = await this.jobs.find(request.jobName);
    if (existing && !request.restart) this.jobs.assertCompatible(existing, request.selection, request.target);
    const resume = existing && !request.restart ? existing : null;
    const alreadyCompleted = resume?.status === 'completed';
    const position = resume?.position ?? null;
    const cursor: ReplayCursor = { ...START, ...resume?.cursor };
    const counts = alreadyCompleted ? [] : options.count === false ? null : await this.count(this.remaining(request.selection, position, cursor));
    const remaining = counts === null ? null : counts.reduce((sum, c) => sum + c.count, 0);
    let targetTopics: string[];
    if (counts === null) targetTopics = request.target.topic ? [request.target.topic] : selectedTopics(request.selection);
    else if (request.target.topic) targetTopics = remaining! > 0 ? [request.target.topic] : [];
    else targetTopics = [...new Set(counts.map((c) => c.topic))].sort();
    return {
      request,
      position,
      cursor,
      alreadyPublished: resume?.published ?? 0,
      counts,
      remaining,
      targetTopics,
      resuming: resume !== null && !alreadyCompleted,
      alreadyCompleted,
    };
  }

  /**
   * Time of the first event still to publish in reading order (the oldest, give or take the
   * clock skew), overall or of one original topic; null if none. Replayed records keep that time
   * as their Kafka timestamp, which time-based retention reads.
   */
  async oldestRemaining(plan: ReplayPlan, originalTopic?: string): Promise<Date | null> {
    const filter = this.remaining(plan.request.selection, plan.position, plan.cursor);
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
    const position = job.position ?? null;
    const cursor: ReplayCursor = { ...START, ...job.cursor };
    let published = job.published;
    const byType = { ...job.byType };
    const run = { published: 0, byType: {} as Record<string, number>, topics: new Set<string>() };
    const idOnly = pageQuery(request.selection, position, null).idOnly;
    const pageSize = this.options.pageSize ?? (idOnly ? DEFAULT_ID_PAGE : DEFAULT_FILTERED_PAGE);
    const skewMs = this.options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;

    // Read and not yet processed, in id order.
    let unprocessed: EventLogDocument[] = [];
    let next = 0;
    // Read and not yet sent, per key in sequence order.
    const byKey = new Map<string, Pending[]>();
    // Processed but held back by an earlier sequence of their key (not processed yet).
    const waiting = new Set<string>();
    // Released (every earlier sequence of their key sent or going), not yet cut into a batch.
    let outgoing: EventLogDocument[] = [];
    let lastProcessed = cursor.after;
    // Last sequence sent per key (recently sent keys, oldest first), to detect a skew beyond the window.
    const sent = new Map<string, { sequence: number; at: number }>();

    const hold = (doc: EventLogDocument, processed: boolean) => {
      const last = sent.get(doc.key);
      if (last && last.sequence > doc.sequence) {
        throw new ReplayDataError(
          `event ${doc._id} (key ${doc.key}, sequence ${doc.sequence}) has an id more than ${skewMs} ms newer than sequence ${last.sequence} of its key, ` +
            'which was already sent: instance clocks differed by more than --clock-skew. Nothing was sent out of order; ' +
            'replay the selection again with --restart and a larger --clock-skew.',
        );
      }
      const entry: Pending = { doc, processed };
      const list = byKey.get(doc.key);
      if (!list) byKey.set(doc.key, [entry]);
      else {
        let i = list.length;
        while (i > 0 && list[i - 1].doc.sequence > doc.sequence) i -= 1;
        list.splice(i, 0, entry);
      }
      if (processed) waiting.add(doc._id);
    };
    // Marks `doc` processed and releases its key's events up to the first unprocessed one.
    const process = (doc: EventLogDocument) => {
      const list = byKey.get(doc.key)!;
      list.find((entry) => entry.doc === doc)!.processed = true;
      waiting.add(doc._id);
      let released = 0;
      while (released < list.length && list[released].processed) {
        const ready = list[released].doc;
        waiting.delete(ready._id);
        sent.delete(ready.key);
        sent.set(ready.key, { sequence: ready.sequence, at: idTime(ready._id) });
        outgoing.push(ready);
        released += 1;
      }
      if (released === list.length) byKey.delete(doc.key);
      else list.splice(0, released);
      lastProcessed = doc._id;
    };

    /** The previous run's held-back events: cut but unsent back to `outgoing` in their order, the waiting ones held. */
    const restore = (docs: EventLogDocument[]) => {
      const found = new Map(docs.map((doc) => [doc._id, this.checked(doc)]));
      for (const id of cursor.unsent) if (found.has(id)) outgoing.push(found.get(id)!);
      for (const id of cursor.behind) if (found.has(id)) hold(found.get(id)!, true);
    };

    // One batch in flight while the next is read and encoded; each is checkpointed once acknowledged.
    let inFlight: Promise<void> = Promise.resolve();
    const shipNext = async (): Promise<boolean> => {
      const batch = outgoing.slice(0, request.batchSize);
      outgoing = outgoing.slice(batch.length);
      const checkpoint: ReplayCursor = { after: lastProcessed, behind: [...waiting], unsent: outgoing.map((doc) => doc._id) };
      const records = batch.map((doc) => this.record(doc, request.target));
      await inFlight;
      if (signal?.aborted) return false;
      const sending = (async () => {
        await publisher.send(records);
        for (const doc of batch) {
          byType[doc.type] = (byType[doc.type] ?? 0) + 1;
          run.byType[doc.type] = (run.byType[doc.type] ?? 0) + 1;
        }
        for (const r of records) run.topics.add(r.topic);
        published += batch.length;
        run.published += batch.length;
        await this.jobs.checkpoint(request.jobName, { cursor: checkpoint, published, byType });
        progress.update(published);
      })();
      sending.catch(() => undefined); // awaited by the next batch or at the end
      inFlight = sending;
      return true;
    };
    /** Processes the read events created `skewMs` before `frontier` (all: Infinity), shipping full batches; false once aborted. */
    const settle = async (frontier: number): Promise<boolean> => {
      while (next < unprocessed.length && idTime(unprocessed[next]._id) + skewMs < frontier) {
        process(unprocessed[next++]);
        while (outgoing.length >= request.batchSize) if (!(await shipNext())) return false;
      }
      unprocessed = unprocessed.slice(next);
      next = 0;
      for (const [key, last] of sent) {
        if (last.at >= frontier - SKEW_CHECK_HORIZON_MS) break;
        sent.delete(key);
      }
      return true;
    };
    let nextLimit = this.options.pageSize ?? (idOnly ? FIRST_ID_PAGE : pageSize);
    const readPage = (after: string | null, carried: string[] = []) => {
      const { filter } = pageQuery(request.selection, position, after);
      const limit = nextLimit;
      nextLimit = Math.min(limit * 4, pageSize);
      return this.events
        .find((carried.length > 0 ? { $or: [filter, { _id: { $in: carried } }] } : filter) as Document, {
          sort: REPLAY_SORT,
          limit,
          batchSize: Math.min(limit, 10_000),
        })
        .toArray()
        .then((docs) => ({ docs, limit }));
    };

    // Keeps the claim alive while a batch waits on a slow broker; checkpoints renew it too.
    const heartbeat = setInterval(() => void this.jobs.renew(request.jobName).catch(() => undefined), Math.max(1000, this.leaseMs / 3));
    heartbeat.unref();
    progress.start(job.total, published);
    let interrupted = false;
    let prefetch: Promise<{ docs: EventLogDocument[]; limit: number }> | null = null;
    try {
      // The previous run's held-back events (cut but unsent, then waiting) come with the first page
      // (their ids sort first): one query, which on FerretDB is one scan.
      const carried = new Set([...cursor.unsent, ...cursor.behind]);
      const withCarried = carried.size > 0 && carried.size < pageSize;
      if (carried.size > 0 && !withCarried) {
        restore(await this.events.find({ _id: { $in: [...carried] } } as Document).toArray());
      }
      let after = cursor.after;
      prefetch = withCarried ? readPage(after, [...carried]) : readPage(after);
      for (;;) {
        if (signal?.aborted) {
          interrupted = true;
          break;
        }
        const { docs: page, limit } = await prefetch!;
        prefetch = null;
        // The last id read past the carried ones: where the next page starts, even if it was dropped.
        let lastRead: string | null = null;
        const back: EventLogDocument[] = [];
        for (const doc of page) {
          if (carried.delete(doc._id)) back.push(doc);
          else {
            lastRead = doc._id;
            if (idOnly && !isReplayable(doc)) continue;
            hold(this.checked(doc), false);
            unprocessed.push(doc);
          }
        }
        if (back.length > 0) restore(back);
        const done = page.length < limit;
        if (!done) {
          if (lastRead !== null) after = lastRead;
          // The next page is read while this one is sent.
          prefetch = readPage(after);
          prefetch.catch(() => undefined);
        }
        if (!(await settle(done ? Infinity : idTime(after!)))) {
          interrupted = true;
          break;
        }
        if (done) break;
      }
      // Everything read is processed now; what is left goes out in the last batches.
      while (!interrupted && outgoing.length > 0) interrupted = !(await shipNext());
      await inFlight;
      // A completed job's total is what it published (its runs may not have counted).
      await this.jobs.finish(request.jobName, interrupted ? 'interrupted' : 'completed', undefined, interrupted ? undefined : published);
    } catch (error) {
      await inFlight.catch(() => undefined);
      // The checkpoint stays at the last acknowledged batch; the job can be resumed.
      await this.jobs.finish(request.jobName, 'interrupted', (error as Error).message).catch(() => undefined);
      throw error;
    } finally {
      await prefetch?.catch(() => undefined);
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
      job: { published, total: Math.max(job.total ?? 0, published), runs: job.runs },
    };
  }

  private remaining(selection: ReplaySelection, position: ReplayPosition | null, cursor: ReplayCursor): Document {
    const rest = remainingFilter(selection, position, cursor.after);
    const carried = [...cursor.behind, ...cursor.unsent];
    return carried.length > 0 ? { $or: [rest, { _id: { $in: carried } }] } : rest;
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
    if (typeof doc._id !== 'string' || !UUID_V7.test(doc._id)) {
      throw new ReplayDataError(`event ${String(doc._id)} in ${EVENT_LOG_COLLECTION} has no UUIDv7 id: the replay reads in id (creation time) order`);
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
