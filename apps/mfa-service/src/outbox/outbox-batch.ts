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
 * live in their own small collection (one document per outbox being published). A batch costs
 * five writes whatever its size: one insertMany (claim), one event-log insert, one `update`
 * command removing the published events (a compare-and-set statement by `_id` per aggregate), one
 * `delete` command of markers and one deleteMany of leases (the last two side by side) — plus
 * reads by `_id`.
 */
export class OutboxBatch {
  constructor(
    private readonly db: Db,
    private readonly pending: PendingOutboxes,
    private readonly leases: OutboxLeases,
    private readonly publisher: OutboxPublisher,
    private readonly acknowledger: OutboxAcknowledger,
  ) {}

  /** `onSent`: this batch's records are on Kafka (what remains is the event log, the removal, markers and leases). */
  async run(collectionName: string, ids: string[], knownTouches?: Map<string, number>, onSent?: () => void): Promise<BatchOutcome> {
    const collection = this.db.collection(collectionName);
    // Each marker's `touch` is read before its aggregate (a command marking after this read keeps its
    // marker); reading it while the lease is taken saves a round trip.
    const [leased, touchById] = await Promise.all([this.leases.claim(collectionName, ids), this.touches(collectionName, ids, knownTouches)]);
    if (leased.length === 0) return { done: true };
    let released = false;
    try {
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
        const outcome = await this.publisher.publish(collectionName, claimed, onSent);
        if ('unavailable' in outcome) return outcome;
        drained = await this.acknowledger.acknowledge(collection, claimed, outcome.progress);
      }
      // Markers of outboxes now empty (or found empty) go, in one command; a failure here only costs a later look.
      const clearable = leased.flatMap((id, i) => {
        const touch = touchById.get(id);
        return (docs[i] === null || drained.has(id)) && touch !== undefined ? [{ key: pendingKey(collectionName, id), touch }] : [];
      });
      released = true;
      await Promise.all([this.pending.clearAll(clearable).catch(() => undefined), this.leases.release(collectionName, leased)]);
      return { done: true };
    } finally {
      // Removal failed or Kafka was away: the outboxes are free for whoever comes next.
      if (!released) await this.leases.release(collectionName, leased);
    }
  }

  private async touches(collectionName: string, ids: string[], known?: Map<string, number>): Promise<Map<string, number | undefined>> {
    const touches = await Promise.all(ids.map(async (id) => known?.get(id) ?? (await this.pending.touchOf(pendingKey(collectionName, id)))));
    return new Map(ids.map((id, i) => [id, touches[i]]));
  }
}
