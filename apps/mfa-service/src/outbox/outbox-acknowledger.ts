import type { Collection, Document } from 'mongodb';
import { AggregateProgress, ClaimedOutbox, remainingAfter } from './outbox-event';
import { OutboxLeases } from './outbox-leases';

/** Outbox emptied; also clears the per-document lease fields older versions wrote. */
const DRAINED: Document = { $set: { outbox: [] }, $unset: { outboxSince: '', leaseOwner: '', leaseUntil: '' } };

const RACED_ATTEMPTS = 20;

/**
 * Removes what a publication finished from the outboxes. FerretDB's `$pull` cannot match
 * sub-documents, so each outbox is replaced with a compare-and-set on `lastSequence`: it only
 * succeeds if no command appended since the relay read it. One `_id` write per aggregate, issued
 * together; only the aggregates whose compare-and-set missed (a command committed meanwhile) are
 * read again. The same write records the attempt count of an event the broker refused.
 */
export class OutboxAcknowledger {
  constructor(
    private readonly leases: OutboxLeases,
    /** Asks for another publication right away (newer events arrived while this one ran). */
    private readonly wake: (collectionName: string, id: string) => void,
  ) {}

  /** Returns the ids whose outbox is now empty. */
  async acknowledge(collection: Collection, claimed: ClaimedOutbox[], progress: Map<string, AggregateProgress>): Promise<Set<string>> {
    const at = new Date();
    const plans = claimed.map((doc) => {
      const done = progress.get(doc._id) ?? { upTo: 0 };
      return { doc, done, remaining: remainingAfter(doc.outbox ?? [], done, at) };
    });
    const results = await Promise.all(
      plans.map(({ doc, remaining }) => collection.updateOne({ _id: doc._id, lastSequence: doc.lastSequence ?? 0 } as Document, afterPublishing(remaining))),
    );
    const drained = new Set(plans.filter((plan, i) => results[i].modifiedCount === 1 && plan.remaining.length === 0).map((plan) => plan.doc._id));
    const missed = plans.filter((_, i) => results[i].modifiedCount !== 1);
    await Promise.all(missed.map(({ doc, done }) => this.acknowledgeRaced(collection, doc._id, done)));
    return drained;
  }

  /** Commits arrived while we published: keep only what is not done (and publish the newer events next). */
  private async acknowledgeRaced(collection: Collection, id: string, done: AggregateProgress): Promise<void> {
    for (let attempt = 0; attempt < RACED_ATTEMPTS; attempt++) {
      // Our lease lapsed and another instance took over: it removes what it publishes.
      if (!(await this.leases.owns(collection.collectionName, id))) return;
      const doc = (await collection.findOne({ _id: id } as Document, { projection: { outbox: 1, lastSequence: 1 } })) as unknown as ClaimedOutbox | null;
      if (!doc) return;
      const remaining = remainingAfter(doc.outbox ?? [], done, new Date());
      const result = await collection.updateOne({ _id: id, lastSequence: doc.lastSequence ?? 0 } as Document, afterPublishing(remaining));
      if (result.modifiedCount === 1) {
        // A refused event waits for the poll (its interval spaces the attempts), newer events behind it too.
        if (remaining.length > 0 && !done.refused) this.wake(collection.collectionName, id);
        return;
      }
    }
  }
}

function afterPublishing(remaining: ClaimedOutbox['outbox'] & object): Document {
  return remaining.length === 0 ? DRAINED : { $set: { outbox: remaining } };
}
