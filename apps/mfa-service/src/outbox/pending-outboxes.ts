import type { AnyBulkWriteOperation, Collection, Db, Document } from 'mongodb';

/**
 * Which aggregates have events waiting in their outbox: one small document per aggregate, kept
 * beside the in-document outboxes (which stay the source of truth), so that finding pending work
 * and counting the backlog cost work proportional to what is pending instead of a scan of every
 * aggregate (on FerretDB only `_id` lookups use an index: `{outboxSince: {$exists: true}}` read
 * the whole collection, every second, on every instance).
 *
 * - An org-policy command (and an enforcement notice) marks its aggregate *before* its commit (a
 *   marker failing means a 503 with nothing written) and touches it again right *after* (a relay may
 *   have read the aggregate between the two, found nothing yet or published only older events, and
 *   removed the marker). Only a process dying between its commit and that touch, in that race,
 *   leaves events unmarked.
 * - A user-mfa command writes no marker (its request path is one read and one guarded write): the
 *   committing process's relay is woken and publishes at once, and marks instead what it could not
 *   publish — outboxes it found while Kafka is away (and woken ids during the backoff), woken ids
 *   leased by another instance (which may have read the outbox before the commit), outboxes it left
 *   non-empty (a refused record), ids still waiting at shutdown. Only a process dying
 *   between such a commit and its publication leaves events unmarked.
 * - The start-up and periodic sweeps (`OutboxRelay.sweep`) repair those and any outbox written
 *   before markers existed: unmarked events are published when an instance starts, at the latest
 *   after the sweep interval (5 min) on the instances still running.
 * - Every mark increments `touch`; the relay removes a marker only if `touch` is still what it read
 *   before reading the aggregate, so a command that marked in between keeps it. A batch of woken
 *   user-mfa aggregates reads no touch (their commits wrote no marker): a marker the relay left for
 *   one of them earlier stays until the poll finds that outbox empty and removes it.
 * - `events` counts events appended since the marker was created (an upper bound while commands
 *   retry on conflicts); `since` is the oldest commit waiting. Both feed the backlog gauge.
 */
export const PENDING_OUTBOXES_COLLECTION = 'outbox_pending';

export interface PendingOutbox {
  _id: string;
  collection: string;
  aggregateId: string;
  since: Date;
  touch: number;
  events: number;
}

export const pendingKey = (collectionName: string, id: string): string => `${collectionName}:${id}`;

/** The oldest first: `{since: 1}` (declared with the outbox indexes) serves the relay's poll. */
const ALL_PENDING = { since: { $gte: new Date(0) } };

export class PendingOutboxes {
  readonly collection: Collection<PendingOutbox>;

  constructor(db: Db) {
    this.collection = db.collection<PendingOutbox>(PENDING_OUTBOXES_COLLECTION);
  }

  /** Marks aggregates of `collectionName` as having `events` more events waiting since `at`. */
  async mark(collectionName: string, marks: Array<{ id: string; events: number }>, at: Date): Promise<void> {
    if (marks.length === 0) return;
    const operations: AnyBulkWriteOperation<PendingOutbox>[] = marks.map(({ id, events }) => ({
      updateOne: {
        filter: { _id: pendingKey(collectionName, id) },
        update: { $setOnInsert: { collection: collectionName, aggregateId: id }, $min: { since: at }, $inc: { touch: 1, events } },
        upsert: true,
      },
    }));
    if (operations.length === 1) {
      const { filter, update } = (operations[0] as { updateOne: { filter: Document; update: Document } }).updateOne;
      await this.collection.updateOne(filter, update, { upsert: true });
      return;
    }
    await this.collection.bulkWrite(operations, { ordered: false });
  }

  /** The sweep found an outbox: make sure it has a marker (never lowering what commands counted). */
  async repair(collectionName: string, id: string, events: number, since: Date): Promise<void> {
    await this.collection.updateOne(
      { _id: pendingKey(collectionName, id) },
      { $setOnInsert: { collection: collectionName, aggregateId: id }, $min: { since }, $max: { events }, $inc: { touch: 1 } },
      { upsert: true },
    );
  }

  /** The oldest pending outboxes, except the given keys (leased by another instance). */
  async oldest(limit: number, except: string[]): Promise<PendingOutbox[]> {
    return this.collection
      .find({ ...ALL_PENDING, ...(except.length > 0 ? { _id: { $nin: except } } : {}) } as Document, { sort: { since: 1 }, limit })
      .toArray() as Promise<PendingOutbox[]>;
  }

  /** The markers' `touch` by key, in one indexed read (`_id` `$in`); a key without a marker is absent. */
  async touchesOf(keys: string[]): Promise<Map<string, number>> {
    if (keys.length === 0) return new Map();
    const docs = await this.collection.find({ _id: { $in: keys } }, { projection: { touch: 1 } }).toArray();
    return new Map(docs.map((doc) => [doc._id, doc.touch]));
  }

  /** Removes the marker unless a command marked the aggregate again since `touch` was read. */
  async clear(key: string, touch: number): Promise<void> {
    await this.collection.deleteOne({ _id: key, touch });
  }

  /** `clear` for a batch's markers: one `delete` command, one statement (by `_id` and `touch`) per marker. */
  async clearAll(markers: Array<{ key: string; touch: number }>): Promise<void> {
    if (markers.length === 0) return;
    if (markers.length === 1) return this.clear(markers[0].key, markers[0].touch);
    await this.collection.bulkWrite(
      markers.map(({ key, touch }) => ({ deleteOne: { filter: { _id: key, touch } } })),
      { ordered: false },
    );
  }

  /** Backlog for the gauges and readiness: reads only the markers (bounded). */
  async backlog(now: number, cap = 50_000): Promise<{ events: number; oldestAgeSeconds: number }> {
    const docs = await this.collection.find(ALL_PENDING as Document, { projection: { since: 1, events: 1 }, sort: { since: 1 }, limit: cap }).toArray();
    const events = docs.reduce((sum, doc) => sum + Math.max(0, doc.events ?? 0), 0);
    const oldest = docs.length > 0 ? (docs[0].since as Date).getTime() : null;
    return { events, oldestAgeSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000) };
  }
}
