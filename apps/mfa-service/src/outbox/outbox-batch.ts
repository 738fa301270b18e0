import type { Db, Document } from 'mongodb';
import { OutboxAcknowledger } from './outbox-acknowledger';
import { ClaimedOutbox } from './outbox-event';
import { OutboxLeases } from './outbox-leases';
import { OutboxPublisher } from './outbox-publisher';
import { PendingOutboxes, pendingKey } from './pending-outboxes';

/** How a batch was found: by the poll (`touches`: the markers as read) or woken after commits. */
export interface BatchOptions {
  /** The poll's markers: aggregate id → `touch` as read. Absent for woken aggregates. */
  touches?: Map<string, number>;
  /** Woken aggregates whose commits wrote no marker: no `touch` is read for them. */
  unmarked?: ReadonlySet<string>;
  /** This batch's records are on Kafka (what remains is the event log, the removal, markers and leases). */
  onSent?: () => void;
}

/** `unavailable`: Kafka could not be reached, every event stays in its outbox. */
export type BatchOutcome = { done: true } | { unavailable: unknown };

/**
 * Claim → publish → log → remove, for one batch of aggregates of one collection.
 *
 * Every query on an aggregate collection is by `_id` (one value or an `$in` list: an index read on
 * MongoDB, and on the local FerretDB with infra/ferretdb/patch-upstream.sh fix 4). Leases live in
 * their own small collection (one document per outbox being published), so claiming never writes
 * the aggregates. A batch costs five writes whatever its size: one insertMany (claim), one
 * event-log insert, one `update` command removing the published events (a compare-and-set
 * statement by `_id` per aggregate), one `delete` command of markers and one deleteMany of leases
 * (the last two side by side) — and two reads: the markers' touches and the outboxes.
 */
export class OutboxBatch {
  constructor(
    private readonly db: Db,
    private readonly pending: PendingOutboxes,
    private readonly leases: OutboxLeases,
    private readonly publisher: OutboxPublisher,
    private readonly acknowledger: OutboxAcknowledger,
  ) {}

  async run(collectionName: string, ids: string[], { touches: knownTouches, unmarked, onSent }: BatchOptions): Promise<BatchOutcome> {
    const collection = this.db.collection(collectionName);
    // Each marker's `touch` is read before its aggregate (a command marking after this read keeps its
    // marker); reading it while the lease is taken saves a round trip. An aggregate whose commit wrote
    // no marker has none to read, save one the relay left after a failed publication: not knowing its
    // touch, this batch leaves such a marker to the poll, which finds the outbox empty and clears it.
    const toRead = unmarked ? ids.filter((id) => !unmarked.has(id)) : ids;
    const [leased, touchById] = await Promise.all([this.leases.claim(collectionName, ids), this.touches(collectionName, toRead, knownTouches)]);
    // Woken ids another instance is publishing: it may have read the outbox before this process's
    // commit, and commands of some aggregates write no marker, so mark them for the poll.
    const elsewhere = knownTouches ? [] : ids.filter((id) => !leased.includes(id)).map((id) => ({ id, events: 1 }));
    if (elsewhere.length > 0) await this.pending.mark(collectionName, elsewhere, new Date());
    if (leased.length === 0) return { done: true };
    let released = false;
    try {
      const found = await collection
        .find<ClaimedOutbox>({ _id: { $in: leased }, outboxSince: { $exists: true } } as Document, { projection: { outbox: 1, lastSequence: 1 } })
        .toArray();
      // In lease order (the order the aggregates were woken or marked); null: nothing waiting.
      const byId = new Map(found.map((doc) => [doc._id, doc]));
      const docs = leased.map((id) => byId.get(id) ?? null);
      const claimed = docs.filter((doc): doc is ClaimedOutbox => doc !== null);
      let drained = new Set<string>();
      if (claimed.length > 0) {
        const outcome = await this.publisher.publish(collectionName, claimed, onSent);
        if ('unavailable' in outcome) {
          // Kafka is away: outboxes without a marker get one (the backlog gauge and every instance's poll see them).
          await this.markWaiting(collectionName, docs, touchById).catch(() => undefined);
          return outcome;
        }
        drained = await this.acknowledger.acknowledge(collection, claimed, outcome.progress);
        // What stays in an outbox without a marker (a refused record waits for the poll) gets one.
        const left = docs.map((doc) => (doc && !drained.has(doc._id) ? doc : null));
        await this.markWaiting(collectionName, left, touchById).catch(() => undefined);
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
    const unknown = ids.filter((id) => known?.get(id) === undefined);
    const read = await this.pending.touchesOf(unknown.map((id) => pendingKey(collectionName, id)));
    return new Map(ids.map((id) => [id, known?.get(id) ?? read.get(pendingKey(collectionName, id))]));
  }

  /** Outboxes still holding events that have no marker (user-mfa commits write none) get one. */
  private async markWaiting(collectionName: string, docs: Array<ClaimedOutbox | null>, touchById: Map<string, number | undefined>): Promise<void> {
    await Promise.all(
      docs.map((doc) => {
        const waiting = doc?.outbox ?? [];
        if (!doc || touchById.get(doc._id) !== undefined || waiting.length === 0) return undefined;
        return this.pending.repair(collectionName, doc._id, waiting.length, new Date(Math.min(...waiting.map((event) => new Date(event.time).getTime()))));
      }),
    );
  }
}
