/**
 * Inbox for consumers: handles each event id once even when Kafka redelivers it.
 *
 * A record is claimed by inserting `{_id: eventId, status: 'processing'}`; a duplicate
 * insert means someone has (or had) it. Finished records are marked `done`. A claim whose
 * handler crashed expires after `leaseMs` and may be taken over, so a crash never loses
 * the event; a handler that throws releases its claim so the redelivery retries it.
 *
 * Works with the official `mongodb` driver's Collection (or mongoose's `connection.collection`).
 */
export interface InboxCollection {
  insertOne(doc: InboxRecord): Promise<unknown>;
  findOneAndUpdate(filter: Record<string, unknown>, update: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
  updateOne(filter: Record<string, unknown>, update: Record<string, unknown>): Promise<unknown>;
  deleteOne(filter: Record<string, unknown>): Promise<unknown>;
}

export interface InboxRecord {
  _id: string;
  status: 'processing' | 'done';
  leaseUntil: Date;
  processedAt?: Date;
}

export type Handled = 'handled' | 'duplicate';

export interface IdempotentHandlerOptions {
  inbox: InboxCollection;
  leaseMs?: number;
  now?: () => Date;
}

function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

export function idempotent<E extends { id: string }>(handler: (event: E) => Promise<void>, options: IdempotentHandlerOptions): (event: E) => Promise<Handled> {
  const leaseMs = options.leaseMs ?? 60_000;
  const now = options.now ?? (() => new Date());
  return async (event: E) => {
    const claimedUntil = new Date(now().getTime() + leaseMs);
    try {
      await options.inbox.insertOne({ _id: event.id, status: 'processing', leaseUntil: claimedUntil });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const takenOver = await options.inbox.findOneAndUpdate(
        { _id: event.id, status: 'processing', leaseUntil: { $lt: now() } },
        { $set: { leaseUntil: claimedUntil } },
      );
      if (!takenOver) return 'duplicate';
    }
    try {
      await handler(event);
    } catch (error) {
      await options.inbox.deleteOne({ _id: event.id, status: 'processing' }).catch(() => undefined);
      throw error;
    }
    await options.inbox.updateOne({ _id: event.id }, { $set: { status: 'done', processedAt: now() } });
    return 'handled';
  };
}
