import type { AggregateDocument, StoredEvent } from '@mfa/persistence';

/**
 * An event waiting in an aggregate's outbox, with what the relay recorded when the broker
 * refused its record (too large, invalid): sent again until `attempts` reaches
 * OUTBOX_MAX_ATTEMPTS, then set aside in outbox_dead_letters. Connection failures never count.
 */
export type OutboxEvent = StoredEvent & { attempts?: number; lastError?: string; lastAttemptAt?: Date };

export type ClaimedOutbox = Pick<AggregateDocument, '_id' | 'lastSequence'> & { outbox?: OutboxEvent[] };

/** What one publication did to an aggregate's outbox. */
export interface AggregateProgress {
  /** Events up to this sequence are done (published or set aside) and leave the outbox. */
  upTo: number;
  /** The first event still waiting because the broker refused its record, with its new count. */
  refused?: { eventId: string; attempts: number; error: string };
}

/** The event as stored elsewhere (event log, dead letters): without the relay's bookkeeping. */
export function withoutAttempts(event: OutboxEvent): StoredEvent {
  const { attempts: _attempts, lastError: _lastError, lastAttemptAt: _lastAttemptAt, ...stored } = event;
  return stored;
}

/** The outbox after a publication: done events removed, the refused one's count recorded. */
export function remainingAfter(outbox: OutboxEvent[], progress: AggregateProgress, at: Date): OutboxEvent[] {
  const { refused } = progress;
  return outbox
    .filter((event) => event.sequence > progress.upTo)
    .map((event) => (event.id === refused?.eventId ? { ...event, attempts: refused.attempts, lastError: refused.error, lastAttemptAt: at } : event));
}
