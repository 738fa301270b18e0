import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import { encodeEvent } from '@mfa/contracts';
import { KafkaClient } from '@mfa/messaging';
import { AggregateDocument, EVENT_LOG_COLLECTION, EventLogDocument, StoredEvent, toEnvelope } from '@mfa/persistence';
import type { AnyBulkWriteOperation, Collection, Db, Document } from 'mongodb';
import type { Connection } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../infra/root-logger';
import { OutboxMetrics } from './outbox-metrics';
import { OUTBOX_COLLECTIONS } from './outbox-collections';

type ClaimedOutbox = Pick<AggregateDocument, '_id' | 'outbox' | 'lastSequence'>;

const BATCH_SIZE = 200;
// Longer than the worst Kafka send (3 attempts of at most 5 s, see KafkaClient), so a lease never lapses
// mid-batch, yet short enough that a crashed instance's outboxes are picked up by another within 30 s.
const LEASE_MS = 30_000;
const POLL_INTERVAL_MS = 1_000;
const MAX_BACKOFF_MS = 5_000;

function isDuplicateKeyOnly(error: unknown): boolean {
  const writeErrors = (error as { writeErrors?: Array<{ code?: number }> } | null)?.writeErrors;
  if (Array.isArray(writeErrors) && writeErrors.length > 0) return writeErrors.every((e) => e.code === 11000);
  return (error as { code?: number } | null)?.code === 11000;
}

/**
 * Publishes the events that commands left in their aggregates' outboxes.
 *
 * For a batch of aggregates: claim them with a time-limited lease (so several instances
 * never publish the same outbox at once), send their events in sequence order with
 * acks=all, append them to the event log, then remove them from the outboxes. A crash
 * anywhere before the removal means they are sent again later: at-least-once, never lost.
 *
 * Woken in-process right after each commit (low latency); a slow poll finds the rest
 * (another instance's leftovers, expired leases, a backlog after a Kafka outage).
 * Leases use the real clock, never the injectable domain clock.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly hot = new Map<string, Set<string>>();
  private readonly log: Logger;
  private db!: Db;
  private eventLog!: Collection<EventLogDocument>;
  private pollTimer?: NodeJS.Timeout;
  private draining: Promise<void> | null = null;
  private stopped = false;
  private failures = 0;
  private retryAt = 0;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly kafka: KafkaClient,
    private readonly metrics: OutboxMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'outbox-relay' });
  }

  onApplicationBootstrap(): void {
    this.db = this.connection.db as unknown as Db;
    this.eventLog = this.db.collection<EventLogDocument>(EVENT_LOG_COLLECTION);
    this.metrics.observeBacklog(() => this.backlog());
    this.schedulePoll(0);
  }

  /** SIGTERM: no new batches; the one in flight finishes (publish, log, removal) before Kafka closes. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    await this.draining;
  }

  /** Called right after a commit: publish this aggregate's outbox now rather than at the next poll. */
  wake(collection: string, aggregateId: string): void {
    if (this.stopped) return;
    let ids = this.hot.get(collection);
    if (!ids) this.hot.set(collection, (ids = new Set()));
    ids.add(aggregateId);
    this.kick();
  }

  /** Runs until nothing is hot; resolves when idle. Exposed for tests and the shutdown path. */
  whenIdle(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  private kick(): void {
    if (this.draining || this.stopped) return;
    this.draining = this.drainHot()
      .catch((error: unknown) => {
        // A database hiccup: the events stay in the outbox; back off and let the poll retry.
        this.backOff(error, 'outbox relay batch failed; events stay in the outbox');
      })
      .finally(() => {
      this.draining = null;
      // While Kafka is failing the poll timer retries after the backoff; no tight loop here.
      if (this.hasHot() && !this.stopped && Date.now() >= this.retryAt) this.kick();
    });
  }

  private hasHot(): boolean {
    for (const ids of this.hot.values()) if (ids.size > 0) return true;
    return false;
  }

  private async drainHot(): Promise<void> {
    while (this.hasHot() && !this.stopped) {
      const wait = this.retryAt - Date.now();
      if (wait > 0) {
        // Kafka is failing: leave the ids hot and let the poll timer retry after the backoff.
        return;
      }
      for (const [collection, ids] of this.hot) {
        if (ids.size === 0) continue;
        const batch = [...ids].slice(0, BATCH_SIZE);
        for (const id of batch) ids.delete(id);
        const ok = await this.publishBatch(collection, batch);
        if (!ok) {
          for (const id of batch) ids.add(id);
          return;
        }
      }
    }
  }

  private schedulePoll(delayMs: number): void {
    if (this.stopped) return;
    this.pollTimer = setTimeout(() => void this.poll(), delayMs);
    this.pollTimer.unref();
  }

  private async poll(): Promise<void> {
    try {
      if (!this.draining && Date.now() >= this.retryAt) {
        const work = this.pollOnce();
        // `draining` only signals "busy"; the failure itself is handled below.
        this.draining = work.then(
          () => undefined,
          () => undefined,
        );
        await work.finally(() => (this.draining = null));
      }
      if (this.hasHot()) this.kick();
    } catch (error) {
      this.backOff(error, 'outbox poll failed; retrying');
    } finally {
      this.schedulePoll(POLL_INTERVAL_MS);
    }
  }

  /** One pass over every outbox collection, publishing whatever is pending and unleased. */
  private async pollOnce(): Promise<number> {
    let published = 0;
    for (const name of OUTBOX_COLLECTIONS) {
      for (;;) {
        if (this.stopped) return published;
        const now = new Date();
        const pending = await this.db
          .collection(name)
          .find(
            { outboxSince: { $exists: true }, $or: [{ leaseUntil: { $exists: false } }, { leaseUntil: { $lt: now } }] },
            { projection: { _id: 1 }, sort: { outboxSince: 1 }, limit: BATCH_SIZE },
          )
          .toArray();
        if (pending.length === 0) break;
        const ok = await this.publishBatch(name, pending.map((d) => String(d._id)));
        if (!ok) return published;
        published += pending.length;
        if (pending.length < BATCH_SIZE) break;
      }
    }
    return published;
  }

  /** Claim → publish → log → remove, for one batch of aggregates. False when Kafka refused. */
  private async publishBatch(collectionName: string, ids: string[]): Promise<boolean> {
    const collection = this.db.collection(collectionName);
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + LEASE_MS);
    await collection.updateMany(
      {
        _id: { $in: ids },
        outboxSince: { $exists: true },
        $or: [{ leaseUntil: { $exists: false } }, { leaseUntil: { $lt: now } }, { leaseOwner: this.owner }],
      } as Document,
      { $set: { leaseOwner: this.owner, leaseUntil } },
    );
    const claimed = (await collection
      .find({ _id: { $in: ids }, leaseOwner: this.owner, leaseUntil } as Document, { projection: { outbox: 1, lastSequence: 1 } })
      .toArray()) as unknown as ClaimedOutbox[];
    if (claimed.length === 0) return true;

    const claimedIds = claimed.map((doc) => doc._id);
    try {
      return await this.publishClaimed(collection, claimed);
    } catch (error) {
      await this.release(collection, claimedIds);
      throw error;
    }
  }

  private async publishClaimed(collection: Collection, claimed: ClaimedOutbox[]): Promise<boolean> {
    const events = claimed.flatMap((doc) => [...(doc.outbox ?? [])].sort((a, b) => a.sequence - b.sequence));
    const claimedIds = claimed.map((doc) => doc._id);
    if (events.length > 0) {
      const started = Date.now();
      try {
        await this.kafka.send(
          events.map((event) => ({ ...encodeEvent(toEnvelope(event, this.config.events.source)), topic: event.topic, timestamp: event.time.getTime() })),
        );
      } catch (error) {
        await this.release(collection, claimedIds);
        this.metrics.publishFailed(events.length);
        this.backOff(error, 'publishing to Kafka failed; events stay in the outbox');
        return false;
      }
      this.failures = 0;
      this.retryAt = 0;
      this.metrics.published(events, Date.now() - started, Date.now());
      await this.appendToEventLog(events, new Date());
    }
    await this.acknowledge(collection, claimed, events);
    return true;
  }

  private async appendToEventLog(events: StoredEvent[], publishedAt: Date): Promise<void> {
    const docs: EventLogDocument[] = events.map((event) => ({ ...redactForLog(event), _id: event.id, publishedAt }));
    try {
      await this.eventLog.insertMany(docs, { ordered: false });
    } catch (error) {
      // Already logged by an earlier (crashed or raced) publication of the same events.
      if (!isDuplicateKeyOnly(error)) throw error;
    }
  }

  /**
   * Remove what was published. FerretDB's `$pull` cannot match sub-documents, so the outbox is
   * replaced with a compare-and-set on `lastSequence`: it only succeeds if no command appended
   * since we read it. The common case (nothing new) is one bulk write for the whole batch.
   */
  private async acknowledge(collection: Collection, claimed: ClaimedOutbox[], events: StoredEvent[]): Promise<void> {
    const published = new Map<string, number>();
    for (const event of events) published.set(event.key, Math.max(published.get(event.key) ?? 0, event.sequence));
    const drained: Document = { $set: { outbox: [] }, $unset: { outboxSince: '', leaseOwner: '', leaseUntil: '' } };
    const operations: AnyBulkWriteOperation[] = claimed.map((doc) => ({
      updateOne: { filter: { _id: doc._id, leaseOwner: this.owner, lastSequence: doc.lastSequence ?? 0 } as Document, update: drained },
    }));
    await collection.bulkWrite(operations, { ordered: false });

    // Anything still leased to us had commits while we published: keep only the newer events.
    const raced = (await collection
      .find({ _id: { $in: claimed.map((doc) => doc._id) }, leaseOwner: this.owner } as Document, {
        projection: { outbox: 1, lastSequence: 1 },
      })
      .toArray()) as unknown as ClaimedOutbox[];
    for (let doc of raced) {
      for (let attempt = 0; attempt < 20 && doc; attempt++) {
        const upTo = published.get(doc._id) ?? 0;
        const remaining = (doc.outbox ?? []).filter((event) => event.sequence > upTo);
        const update: Document =
          remaining.length === 0 ? drained : { $set: { outbox: remaining }, $unset: { leaseOwner: '', leaseUntil: '' } };
        const result = await collection.updateOne({ _id: doc._id, leaseOwner: this.owner, lastSequence: doc.lastSequence ?? 0 } as Document, update);
        if (result.modifiedCount === 1) {
          if (remaining.length > 0) this.wake(collection.collectionName, doc._id);
          break;
        }
        doc = (await collection.findOne({ _id: doc._id, leaseOwner: this.owner } as Document, {
          projection: { outbox: 1, lastSequence: 1 },
        })) as unknown as ClaimedOutbox;
      }
    }
  }

  private async release(collection: Collection, ids: string[]): Promise<void> {
    await collection
      .updateMany({ _id: { $in: ids }, leaseOwner: this.owner } as Document, { $unset: { leaseOwner: '', leaseUntil: '' } })
      .catch(() => undefined);
  }

  /** Exponential backoff (capped) after a failure; logged on the first and every 20th in a row. */
  private backOff(error: unknown, message: string): void {
    this.failures += 1;
    const backoff = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.failures, 10));
    this.retryAt = Date.now() + backoff;
    if (this.failures === 1 || this.failures % 20 === 0) {
      this.log.warn({ errorType: (error as Error)?.name, failures: this.failures, retryInMs: backoff }, message);
    }
  }

  /** Backlog size and the age of the oldest unpublished event, for the metrics scrape. */
  private async backlog(): Promise<{ events: number; oldestAgeSeconds: number }> {
    let events = 0;
    let oldest: number | null = null;
    const now = new Date().getTime();
    for (const name of OUTBOX_COLLECTIONS) {
      const docs = await this.db
        .collection(name)
        .find({ outboxSince: { $exists: true } }, { projection: { outboxSince: 1, 'outbox.id': 1 } })
        .toArray();
      for (const doc of docs) {
        events += Array.isArray(doc.outbox) ? doc.outbox.length : 0;
        const since = (doc.outboxSince as Date).getTime();
        if (oldest === null || since < oldest) oldest = since;
      }
    }
    return { events, oldestAgeSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000) };
  }
}

/**
 * What the event log keeps. Delivery events carry a live credential (the magic link): the
 * log keeps that they happened, never the link itself, and they are never replayed.
 */
function redactForLog(event: StoredEvent): StoredEvent {
  if (event.replayable) return event;
  const { link: _link, email: _email, ...rest } = event.data as Record<string, unknown>;
  return { ...event, data: { ...rest, redacted: true } };
}
