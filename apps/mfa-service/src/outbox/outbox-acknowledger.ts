import type { AnyBulkWriteOperation, Collection, Document } from 'mongodb';
import { AggregateProgress, ClaimedOutbox, OutboxEvent, remainingAfter } from './outbox-event';
import { OutboxLeases } from './outbox-leases';

/** Outbox emptied; also clears the per-document lease fields older versions wrote. */
const DRAINED: Document = { $set: { outbox: [] }, $unset: { outboxSince: '', leaseOwner: '', leaseUntil: '' } };

const RACED_ATTEMPTS = 20;

/**
 * Removes what a publication finished from the outboxes. FerretDB's `$pull` cannot match
 * sub-documents, so each outbox is replaced with a compare-and-set on `lastSequence`: it only
 * succeeds if no command appended since the relay read it. The whole batch is one `update`
 * command (one statement per aggregate, each by `_id`): one write, and one turn of FerretDB's
 * write lock, whatever the batch size. The command reports only how many statements matched, so
 * when some missed (a command committed meanwhile) the batch's `lastSequence`s are read again (one
 * `_id` list) and only the aggregates that moved are retried. The same write records the attempt count
 * of an event the broker refused.
 */
export class OutboxAcknowledger {
  constructor(
    private readonly leases: OutboxLeases,
    /** Asks for another publication right away (newer events arrived while this one ran). */
    private readonly wake: (collectionName: string, id: string) => void,
  ) {}

  /** Returns the ids whose outbox is now empty. */
  async acknowledge(collection: Collection, claimed: ClaimedOutbox[], progress: Map<string, AggregateProgress>): Promise<Set<string>> {
    if (claimed.length === 0) return new Set();
    const at = new Date();
    const plans = claimed.map((doc) => {
      const done = progress.get(doc._id) ?? { upTo: 0 };
      return { doc, done, remaining: remainingAfter(doc.outbox ?? [], done, at) };
    });
    const operations: AnyBulkWriteOperation<Document>[] = plans.map(({ doc, remaining }) => ({
      updateOne: { filter: { _id: doc._id, lastSequence: doc.lastSequence ?? 0 } as Document, update: afterPublishing(remaining) },
    }));
    const result = await collection.bulkWrite(operations, { ordered: false });
    const drainedIfApplied = (plan: (typeof plans)[number]) => plan.remaining.length === 0;
    if (result.matchedCount === plans.length) return new Set(plans.filter(drainedIfApplied).map((plan) => plan.doc._id));
    // Which statements missed? `lastSequence` only grows: one still at the value read was matched.
    const now = await collection
      .find<ClaimedOutbox>({ _id: { $in: plans.map(({ doc }) => doc._id) } } as Document, { projection: { lastSequence: 1 } })
      .toArray();
    const lastSequenceNow = new Map(now.map((doc) => [doc._id, doc.lastSequence]));
    const drained = new Set<string>();
    const missed: typeof plans = [];
    plans.forEach((plan) => {
      if (plan.doc.lastSequence !== undefined && lastSequenceNow.get(plan.doc._id) === plan.doc.lastSequence) {
        if (drainedIfApplied(plan)) drained.add(plan.doc._id);
      } else missed.push(plan);
    });
    await Promise.all(missed.map(({ doc, done }) => this.acknowledgeRaced(collection, doc._id, done)));
    return drained;
  }

  /** Commits arrived while we published: keep only what is not done (and publish the newer events next). */
  private async acknowledgeRaced(collection: Collection, id: string, done: AggregateProgress): Promise<void> {
    for (let attempt = 0; attempt < RACED_ATTEMPTS; attempt++) {
      // Our lease lapsed and another instance took over: it removes what it publishes.
      if (!(await this.leases.owns(collection.collectionName, id))) return;
      const doc = await this.read(collection, id);
      if (!doc) return;
      const outbox = doc.outbox ?? [];
      // The batch's statement was applied before the command's commit: nothing of ours is left.
      const applied = !outbox.some((event) => event.sequence <= done.upTo || isUnrecorded(event, done));
      if (!applied) {
        const remaining = remainingAfter(outbox, done, new Date());
        const result = await collection.updateOne({ _id: id, lastSequence: doc.lastSequence ?? 0 } as Document, afterPublishing(remaining));
        if (result.modifiedCount !== 1) continue;
      }
      // A refused event waits for the poll (its interval spaces the attempts), newer events behind it too.
      if (outbox.some((event) => event.sequence > done.upTo) && !done.refused) this.wake(collection.collectionName, id);
      return;
    }
  }

  private read(collection: Collection, id: string): Promise<ClaimedOutbox | null> {
    return collection.findOne({ _id: id } as Document, { projection: { outbox: 1, lastSequence: 1 } }) as unknown as Promise<ClaimedOutbox | null>;
  }
}

/** The refused event whose new attempt count is not written yet. */
function isUnrecorded(event: OutboxEvent, done: AggregateProgress): boolean {
  return event.id === done.refused?.eventId && event.attempts !== done.refused.attempts;
}

function afterPublishing(remaining: ClaimedOutbox['outbox'] & object): Document {
  return remaining.length === 0 ? DRAINED : { $set: { outbox: remaining } };
}
