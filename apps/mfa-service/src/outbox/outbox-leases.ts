import { isDuplicateKeyOnly } from '@mfa/persistence';
import type { Collection, Db, Document } from 'mongodb';

/** Outbox leases, apart from the aggregates (see OutboxRelay.publishBatch). */
export const OUTBOX_LEASES_COLLECTION = 'outbox_leases';

/** Who is publishing one aggregate's outbox, until when (`_id` = `<collection>:<aggregate id>`). */
interface OutboxLease {
  _id: string;
  owner: string;
  until: Date;
}

// Longer than the worst Kafka send (3 attempts of at most 5 s, see KafkaClient), so a lease never lapses
// mid-batch, yet short enough that a crashed instance's outboxes are picked up by another within 30 s.
const LEASE_MS = 30_000;

export const leaseKey = (collectionName: string, id: string): string => `${collectionName}:${id}`;

/**
 * Time-limited leases, so several instances never publish the same outbox at once. One small
 * document per outbox being published; leases use the real clock, never the domain clock.
 */
export class OutboxLeases {
  constructor(
    private readonly db: Db,
    readonly owner: string,
  ) {}

  private get leases(): Collection<OutboxLease> {
    return this.db.collection<OutboxLease>(OUTBOX_LEASES_COLLECTION);
  }

  /** Keys of the outboxes some instance is publishing right now (the poll leaves them alone). */
  async liveKeys(): Promise<string[]> {
    const leased = await this.leases.find({ until: { $gte: new Date() } } as Document, { projection: { _id: 1 } }).toArray();
    return leased.map((lease) => String(lease._id));
  }

  /** Takes the lease of each outbox not leased by a live instance; returns the ids it got. */
  async claim(collectionName: string, ids: string[]): Promise<string[]> {
    const now = new Date();
    const until = new Date(now.getTime() + LEASE_MS);
    const lease = (id: string): OutboxLease => ({ _id: leaseKey(collectionName, id), owner: this.owner, until });
    let refused = await this.insert(ids.map(lease));
    if (refused.size > 0) {
      // Held by someone: take over those whose holder died (lease expired) and stale ones of ours.
      const keys = [...refused];
      await this.leases.deleteMany({ _id: { $in: keys }, $or: [{ until: { $lt: now } }, { owner: this.owner }] } as Document);
      const retry = ids.filter((id) => refused.has(leaseKey(collectionName, id)));
      refused = await this.insert(retry.map(lease));
    }
    return ids.filter((id) => !refused.has(leaseKey(collectionName, id)));
  }

  /** Inserts leases; a duplicate key means the outbox is leased already. Returns those keys. */
  private async insert(leases: OutboxLease[]): Promise<Set<string>> {
    if (leases.length === 0) return new Set();
    try {
      await this.leases.insertMany(leases, { ordered: false });
      return new Set();
    } catch (error) {
      if (!isDuplicateKeyOnly(error)) throw error;
      // Which ones did we get? Read them back rather than trust every server's error indexes.
      const mine = await this.leases
        .find({ _id: { $in: leases.map((l) => l._id) }, owner: this.owner, until: leases[0].until } as Document, { projection: { _id: 1 } })
        .toArray();
      const held = new Set(mine.map((m) => String(m._id)));
      return new Set(leases.map((l) => l._id).filter((key) => !held.has(key)));
    }
  }

  async owns(collectionName: string, id: string): Promise<boolean> {
    return (await this.leases.countDocuments({ _id: leaseKey(collectionName, id), owner: this.owner } as Document, { limit: 1 })) > 0;
  }

  /** The outboxes are free for whoever comes next; a failure here only delays them until the lease lapses. */
  async release(collectionName: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.leases.deleteMany({ _id: { $in: ids.map((id) => leaseKey(collectionName, id)) }, owner: this.owner } as Document).catch(() => undefined);
  }
}
