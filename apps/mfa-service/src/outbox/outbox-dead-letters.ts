import { insertMissing, StoredEvent } from '@mfa/persistence';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxEvent, withoutAttempts } from './outbox-event';

/** Events the relay could not publish, set aside with the reason (see OutboxDeadLetters). */
export const OUTBOX_DEAD_LETTERS_COLLECTION = 'outbox_dead_letters';

export interface OutboxDeadLetter {
  _id: string;
  collection: string;
  /** As stored in the outbox: sealed fields stay sealed. */
  event: StoredEvent;
  /** The last error: why it could not be encoded, or what the broker answered for its record. */
  reason: string;
  /** How many times it was tried: 1 for one that cannot be encoded, OUTBOX_MAX_ATTEMPTS for one Kafka kept refusing. */
  attempts: number;
  deadLetteredAt: Date;
}

export type DeadLetterCause = 'unencodable' | 'refused';

/**
 * Where events go that must not block their aggregate's later events (nor the rest of a batch)
 * forever: one that cannot be encoded (e.g. a sealed magic link whose key was removed from
 * MFA_ENCRYPTION_PREVIOUS_KEYS), or one whose record the broker refused OUTBOX_MAX_ATTEMPTS times
 * (e.g. larger than the topic's `max.message.bytes`). Logged at error level, counted, and kept
 * for inspection (OUTBOX_DEAD_LETTERS_RETENTION_DAYS); nothing re-publishes them on its own.
 */
export class OutboxDeadLetters {
  constructor(
    private readonly db: Db,
    private readonly metrics: OutboxMetrics,
    private readonly log: Logger,
  ) {}

  async setAside(collectionName: string, cause: DeadLetterCause, items: Array<{ event: OutboxEvent; error: Error; attempts: number }>): Promise<void> {
    if (items.length === 0) return;
    const now = new Date();
    const docs: OutboxDeadLetter[] = items.map(({ event, error, attempts }) => ({
      _id: event.id,
      collection: collectionName,
      event: withoutAttempts(event),
      reason: `${error.name}: ${error.message}`,
      attempts,
      deadLetteredAt: now,
    }));
    // Some may be set aside already, by an earlier attempt that did not get to remove them from the outbox.
    await insertMissing(this.db.collection<OutboxDeadLetter>(OUTBOX_DEAD_LETTERS_COLLECTION), docs);
    for (const { event, error, attempts } of items) {
      this.metrics.deadLettered(event, cause);
      this.log.error(
        { eventId: event.id, type: event.type, aggregateId: event.key, sequence: event.sequence, attempts, err: { name: error.name, message: error.message } },
        `outbox event cannot be published; moved to ${OUTBOX_DEAD_LETTERS_COLLECTION}`,
      );
    }
  }
}
