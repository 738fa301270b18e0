import { AppError } from '@mfa/common/errors/app-error';
import type { Collection, Document, Filter, UpdateFilter } from 'mongodb';
import type { Decision } from '@mfa/common/domain/decision';
import { KeyedQueue } from './keyed-queue';
import { isDuplicateKey } from './duplicate-key';
import { stampEvents } from './stamp-event';
import { CommandMeta, StoredEvent } from './stored-event';
import { nextTopicSequences, TopicSequences } from './topic-sequences';

/**
 * Fields every aggregate document carries next to its state.
 * - `version`: optimistic concurrency; every write is conditional on the version read.
 * - `lastSequence`: the per-aggregate event sequence (envelope `sequence`).
 * - `outbox` / `outboxSince`: events not yet published, written in the same single-document
 *   update as the state (no multi-document transaction needed), drained by the relay.
 * - `leaseOwner` / `leaseUntil`: which relay instance is publishing this outbox right now.
 */
export interface AggregateDocument {
  _id: string;
  version: number;
  lastSequence?: number;
  /** Per-topic envelope sequences (topic-sequences.ts). */
  topicSequences?: TopicSequences;
  outbox?: StoredEvent[];
  outboxSince?: Date;
  leaseOwner?: string;
  leaseUntil?: Date;
}

const BOOKKEEPING = ['_id', 'version', 'lastSequence', 'topicSequences', 'outbox', 'outboxSince', 'leaseOwner', 'leaseUntil'];

export interface Loaded<S> {
  state: S | null;
  version: number;
  lastSequence: number;
  topicSequences?: TopicSequences;
}

export interface AggregateMapper<S> {
  fromDocument(doc: Document): S;
  toDocument(state: S): Document;
}

export class ConcurrencyConflict extends Error {
  constructor(readonly aggregateId: string) {
    super(`aggregate ${aggregateId} was modified concurrently`);
    this.name = 'ConcurrencyConflict';
  }
}

export interface GuardedWrite {
  filter: Filter<Document>;
  update: UpdateFilter<Document>;
  upsert: boolean;
}

/**
 * The write every change to an aggregate is: `fields`, version + 1, and `events` appended to the
 * outbox, conditional on the version read. A document without `version` (none yet, or one a
 * read model created) is created or taken over; otherwise the version must not have moved.
 * Used by the store's commit and by writers that append to many aggregates at once.
 */
export function guardedWrite(
  id: string,
  read: { version: number; lastSequence: number; topicSequences?: TopicSequences },
  fields: Document,
  events: StoredEvent[],
  at: Date,
): GuardedWrite {
  // The events were stamped from the same read (stampEvents), so this yields their counters.
  const { counters } = nextTopicSequences(
    read,
    events.map((event) => event.topic),
  );
  const update = {
    $set: { ...fields, version: read.version + 1, lastSequence: read.lastSequence + events.length, ...(events.length > 0 ? { topicSequences: counters } : {}) },
    ...(events.length > 0
      ? {
          $push: { outbox: { $each: events } },
          // $min sets the field when absent and keeps an older value: the age of the oldest pending event.
          $min: { outboxSince: at },
        }
      : {}),
  } as unknown as UpdateFilter<Document>;
  const creating = read.version === 0;
  const filter = (creating ? { _id: id, version: { $exists: false } } : { _id: id, version: read.version }) as unknown as Filter<Document>;
  return { filter, update, upsert: creating };
}

export interface CommitResult<S> {
  state: S;
  events: StoredEvent[];
  version: number;
}

const MAX_ATTEMPTS = 10;

/**
 * Loads one aggregate, lets the domain decide, and writes state + events atomically with a
 * version guard. On a concurrent write it reloads and decides again, so no update is lost.
 */
export class AggregateStore<S> {
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly collection: Collection,
    private readonly aggregate: 'org' | 'user',
    private readonly mapper: AggregateMapper<S>,
    /** After every successful commit (with the events it appended, possibly none). */
    private readonly onCommitted: (aggregateId: string, events: StoredEvent[]) => void = () => undefined,
    /** How an event is kept while it waits in the outbox (e.g. sensitive fields sealed); as is by default. */
    private readonly forOutbox: (event: StoredEvent) => StoredEvent = (event) => event,
    /**
     * The relay's pending marker, for a commit that appends events: awaited before it with the events
     * (a failure aborts the commit), and again right after it with none (a touch that keeps the marker
     * if a relay removed it in between; a failure there is ignored, the commit stands).
     */
    private readonly markPending: (aggregateId: string, events: StoredEvent[], at: Date) => Promise<void> = async () => undefined,
  ) {}

  get collectionName(): string {
    return this.collection.collectionName;
  }

  /** A document without `version` was created by a read-model writer: it counts as not yet existing. */
  async load(id: string): Promise<Loaded<S>> {
    const doc = (await this.collection.findOne({ _id: id as never }, { projection: { outbox: 0 } })) as AggregateDocument | null;
    if (!doc) return { state: null, version: 0, lastSequence: 0, topicSequences: {} };
    return {
      state: this.mapper.fromDocument(doc as unknown as Document),
      version: doc.version ?? 0,
      lastSequence: doc.lastSequence ?? 0,
      topicSequences: doc.topicSequences ?? (doc.version ? undefined : {}),
    };
  }

  /**
   * Runs `decide` against the current state and commits its outcome, retrying on conflicts.
   * A decision without events writes nothing (idempotent no-op). `at`: the command's time, the
   * one its decision was made with, stamped on the events.
   */
  execute(id: string, decide: (state: S | null) => Decision<S>, meta: CommandMeta, at: Date): Promise<CommitResult<S>> {
    return this.queue.run(id, () => this.decideAndCommit(id, decide, meta, at));
  }

  private async decideAndCommit(id: string, decide: (state: S | null) => Decision<S>, meta: CommandMeta, at: Date): Promise<CommitResult<S>> {
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.load(id);
      const decision = decide(loaded.state);
      if (decision.events.length === 0 && !decision.changed) return { state: decision.state, events: [], version: loaded.version };
      try {
        const events = await this.commit(id, loaded, decision, meta, at);
        return { state: decision.state, events, version: loaded.version + 1 };
      } catch (error) {
        if (!(error instanceof ConcurrencyConflict)) throw error;
        if (attempt >= MAX_ATTEMPTS) {
          throw new AppError('conflict', 'CONCURRENT_MODIFICATION', 'The resource was modified concurrently, retry the request');
        }
        // Another instance wrote in between: back off with jitter, then decide again on fresh state.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));
      }
    }
  }

  /** One conditional single-document write: state, version+1, and the events appended to the outbox. */
  async commit(id: string, loaded: Loaded<S>, decision: Decision<S>, meta: CommandMeta, at: Date): Promise<StoredEvent[]> {
    const events = stampEvents(this.aggregate, id, decision.events, loaded, meta, at).map(this.forOutbox);
    const state = this.mapper.toDocument(decision.state);
    for (const field of BOOKKEEPING) delete state[field];
    const write = guardedWrite(id, loaded, state, events, at);
    if (events.length > 0) await this.markPending(id, events, at);
    try {
      const result = await this.collection.updateOne(write.filter, write.update, { upsert: write.upsert });
      if (result.upsertedCount !== 1 && result.modifiedCount !== 1) throw new ConcurrencyConflict(id);
    } catch (error) {
      // Creation: an insert that fails on a duplicate id means someone created it first.
      if (isDuplicateKey(error)) throw new ConcurrencyConflict(id);
      throw error;
    }
    if (events.length > 0) await this.markPending(id, [], at).catch(() => undefined);
    this.onCommitted(id, events);
    return events;
  }
}
