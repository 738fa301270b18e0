import type { Db, Document } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { OUTBOX_DEAD_LETTERS_COLLECTION, OutboxDeadLetter } from '../../../mfa-service/src/outbox/outbox-dead-letters';
import { OutboxLeases } from '../../../mfa-service/src/outbox/outbox-leases';
import { PendingOutboxes } from '../../../mfa-service/src/outbox/pending-outboxes';

export type RedriveResult = 'redriven' | 'busy' | 'aggregate-missing';

/**
 * Moves a dead letter back into its aggregate's outbox, under the relay's own lease (so no relay
 * acknowledges that outbox meanwhile and drops it) and with its pending marker (so the relay's
 * poll finds it); the dead letter goes last, so an interrupted run loses nothing and a re-run
 * does not put the event in twice.
 */
export class DeadLetterRedriver {
  private readonly leases: OutboxLeases;
  private readonly pending: PendingOutboxes;

  constructor(private readonly db: Db) {
    this.leases = new OutboxLeases(db, `mfa-ops:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`);
    this.pending = new PendingOutboxes(db);
  }

  private get deadLetters() {
    return this.db.collection<OutboxDeadLetter>(OUTBOX_DEAD_LETTERS_COLLECTION);
  }

  /** The selected dead letters (null: all), oldest first. */
  async list(ids: string[] | null): Promise<OutboxDeadLetter[]> {
    const letters = await this.deadLetters.find((ids ? { _id: { $in: ids } } : {}) as Document).toArray();
    return letters.sort((a, b) => a.deadLetteredAt.getTime() - b.deadLetteredAt.getTime());
  }

  async redrive(letter: OutboxDeadLetter): Promise<RedriveResult> {
    const { collection, event } = letter;
    const aggregates = this.db.collection(collection);
    const [leased] = await this.leases.claim(collection, [event.key]);
    if (leased === undefined) return 'busy'; // a relay is publishing that outbox right now
    try {
      const doc = await aggregates.findOne({ _id: event.key } as Document, { projection: { 'outbox.id': 1 } });
      if (!doc) return 'aggregate-missing';
      const waiting = ((doc.outbox ?? []) as Array<{ id: string }>).some((e) => e.id === event.id);
      if (!waiting) {
        const now = new Date();
        await this.pending.mark(collection, [{ id: event.key, events: 1 }], now);
        await aggregates.updateOne({ _id: event.key } as Document, { $push: { outbox: event }, $min: { outboxSince: now } } as Document);
      }
    } finally {
      await this.leases.release(collection, [event.key]);
    }
    await this.deadLetters.deleteOne({ _id: letter._id });
    return 'redriven';
  }
}
