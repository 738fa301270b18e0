import type { Db, Document } from 'mongodb';
import { OutboxAcknowledger } from './outbox-acknowledger';
import { ClaimedOutbox } from './outbox-event';
import { OutboxLeases } from './outbox-leases';
import { OutboxPublisher } from './outbox-publisher';
import { PendingOutboxes, pendingKey } from './pending-outboxes';

/** `unavailable`: Kafka could not be reached, every event stays in its outbox. */
export type BatchOutcome = { done: true } | { unavailable: unknown };

/**
 * Claim → publish → log → remove, for one batch of aggregates of one collection.
 *
 * Every query on an aggregate collection names one document by `_id`: FerretDB uses no index
 * for any other filter, `{_id: {$in: [...]}}` included, so those scan the whole collection —
 * an updateMany while holding the proxy's global write lock (bench/REPORT.md). Leases therefore
 * live in their own small collection (one document per outbox being published): a batch costs
 * one insertMany (claim), reads by `_id`, one update by `_id` per aggregate (the removal, which
 * must touch the aggregate anyway) and one deleteMany of leases — instead of an updateMany and
 * a find over `$in` to claim, and a bulk update plus another `$in` find to remove.
 */
export class OutboxBatch {
  constructor(
    private readonly db: Db,
    private readonly pending: PendingOutboxes,
    private readonly leases: OutboxLeases,
    private readonly publisher: OutboxPublisher,
    private readonly acknowledger: OutboxAcknowledger,
  ) {}

  async run(collectionName: string, ids: string[], knownTouches?: Map<string, number>): Promise<BatchOutcome> {
    const collection = this.db.collection(collectionName);
    const leased = await this.leases.claim(collectionName, ids);
    // Woken ids another instance is publishing: it may have read the outbox before this process's
    // commit, and commands of some aggregates write no marker, so mark them for the poll.
    const elsewhere = knownTouches ? [] : ids.filter((id) => !leased.includes(id)).map((id) => ({ id, events: 1 }));
    if (elsewhere.length > 0) await this.pending.mark(collectionName, elsewhere, new Date());
    if (leased.length === 0) return { done: true };
    try {
      // Each marker's `touch` is read before its aggregate: a command marking after this read keeps its marker.
      const touches = await Promise.all(leased.map(async (id) => knownTouches?.get(id) ?? (await this.pending.touchOf(pendingKey(collectionName, id)))));
      const docs = await Promise.all(
        leased.map(
          (id) =>
            collection.findOne({ _id: id, outboxSince: { $exists: true } } as Document, {
              projection: { outbox: 1, lastSequence: 1 },
            }) as Promise<ClaimedOutbox | null>,
        ),
      );
      const claimed = docs.filter((doc): doc is ClaimedOutbox => doc !== null);
      let drained = new Set<string>();
      if (claimed.length > 0) {
        const outcome = await this.publisher.publish(collectionName, claimed);
        if ('unavailable' in outcome) {
          // Kafka is away: outboxes without a marker get one (the backlog gauge and every instance's poll see them).
          await this.markWaiting(collectionName, docs, touches).catch(() => undefined);
          return outcome;
        }
        drained = await this.acknowledger.acknowledge(collection, claimed, outcome.progress);
        // What stays in an outbox without a marker (a refused record waits for the poll) gets one.
        const left = docs.map((doc) => (doc && !drained.has(doc._id) ? doc : null));
        await this.markWaiting(collectionName, left, touches).catch(() => undefined);
      }
      // Markers of outboxes now empty (or found empty) go; a failure here only costs a later look.
      await Promise.all(
        leased.map((id, i) =>
          (docs[i] === null || drained.has(id)) && touches[i] !== undefined
            ? this.pending.clear(pendingKey(collectionName, id), touches[i]!).catch(() => undefined)
            : undefined,
        ),
      );
      return { done: true };
    } finally {
      // Removal done (or failed): the outboxes are free for whoever comes next.
      await this.leases.release(collectionName, leased);
    }
  }

  private async markWaiting(collectionName: string, docs: Array<ClaimedOutbox | null>, touches: Array<number | undefined>): Promise<void> {
    await Promise.all(
      docs.map((doc, i) => {
        const waiting = doc?.outbox ?? [];
        if (touches[i] !== undefined || waiting.length === 0) return undefined;
        return this.pending.repair(collectionName, doc!._id, waiting.length, new Date(Math.min(...waiting.map((event) => new Date(event.time).getTime()))));
      }),
    );
  }
}
