import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import { encodeEvent } from '@mfa/contracts';
import { KafkaClient, OutgoingRecord } from '@mfa/messaging';
import { AggregateDocument, EVENT_LOG_COLLECTION, EventLogDocument, insertMissing, isDuplicateKeyOnly, MAINTENANCE_TIMEOUT, StoredEvent, toEnvelope } from '@mfa/persistence';
import type { Collection, Db, Document } from 'mongodb';
import type { Connection } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../infra/root-logger';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxSealer } from './outbox-sealer';
import { OUTBOX_COLLECTIONS } from './outbox-collections';
import { PendingOutbox, PendingOutboxes, pendingKey } from './pending-outboxes';

type ClaimedOutbox = Pick<AggregateDocument, '_id' | 'outbox' | 'lastSequence'>;

/** Who is publishing one aggregate's outbox, until when (`_id` = `<collection>:<aggregate id>`). */
interface OutboxLease {
  _id: string;
  owner: string;
  until: Date;
}

/** Events the relay could never encode, set aside with the reason (see deadLetter). */
export const OUTBOX_DEAD_LETTERS_COLLECTION = 'outbox_dead_letters';
interface OutboxDeadLetter {
  _id: string;
  collection: string;
  event: StoredEvent;
  reason: string;
  deadLetteredAt: Date;
}

/** Outbox leases, apart from the aggregates (see publishBatch). */
export const OUTBOX_LEASES_COLLECTION = 'outbox_leases';
const leaseKey = (collectionName: string, id: string): string => `${collectionName}:${id}`;

/** Outbox emptied; also clears the per-document lease fields older versions wrote. */
const DRAINED: Document = { $set: { outbox: [] }, $unset: { outboxSince: '', leaseOwner: '', leaseUntil: '' } };

const BATCH_SIZE = 200;
// Longer than the worst Kafka send (3 attempts of at most 5 s, see KafkaClient), so a lease never lapses
// mid-batch, yet short enough that a crashed instance's outboxes are picked up by another within 30 s.
const LEASE_MS = 30_000;
const POLL_INTERVAL_MS = 1_000;
const MAX_BACKOFF_MS = 5_000;
/** How often the backlog gauges and readiness body are refreshed from the pending markers. */
const BACKLOG_REFRESH_MS = 2_000;
/** The safety net: a full read of every outbox collection for outboxes without a marker (see PendingOutboxes). */
const SWEEP_INTERVAL_MS = 5 * 60_000;

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
  private backlogTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private pending!: PendingOutboxes;
  private lastBacklog = { events: 0, oldestSince: null as number | null };
  private draining: Promise<void> | null = null;
  private stopped = false;
  private failures = 0;
  private retryAt = 0;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly kafka: KafkaClient,
    private readonly metrics: OutboxMetrics,
    private readonly sealer: OutboxSealer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'outbox-relay' });
  }

  onApplicationBootstrap(): void {
    this.db = this.connection.db as unknown as Db;
    this.eventLog = this.db.collection<EventLogDocument>(EVENT_LOG_COLLECTION);
    this.pending = new PendingOutboxes(this.db);
    // Scrapes read the last count (no database work per scrape); the timer keeps it fresh.
    this.metrics.observeBacklog(() => Promise.resolve(this.backlogSnapshot()));
    this.refreshBacklog();
    this.schedulePoll(0);
    this.scheduleSweep(0);
  }

  /**
   * Records that these aggregates are about to commit `events` new outbox events (before the commit,
   * so a failure here fails the command with nothing written), or, with 0, touches their markers
   * right after it (see PendingOutboxes).
   */
  async markPending(collection: string, marks: Array<{ id: string; events: number }>, at: Date): Promise<void> {
    await this.pending.mark(collection, marks, at);
  }

  /** Events waiting and the age of the oldest, as of the last refresh (at most BACKLOG_REFRESH_MS old). */
  backlogSnapshot(): { events: number; oldestAgeSeconds: number } {
    const { events, oldestSince } = this.lastBacklog;
    return { events, oldestAgeSeconds: oldestSince === null ? 0 : Math.max(0, (Date.now() - oldestSince) / 1000) };
  }

  private refreshBacklog(): void {
    if (this.stopped) return;
    const now = Date.now();
    void this.pending
      .backlog(now)
      .then(({ events, oldestAgeSeconds }) => (this.lastBacklog = { events, oldestSince: events > 0 || oldestAgeSeconds > 0 ? now - oldestAgeSeconds * 1000 : null }))
      .catch(() => undefined) // the database is away: keep the last figures, readiness says why
      .finally(() => {
        if (this.stopped) return;
        this.backlogTimer = setTimeout(() => this.refreshBacklog(), BACKLOG_REFRESH_MS);
        this.backlogTimer.unref();
      });
  }

  private scheduleSweep(delayMs: number): void {
    if (this.stopped) return;
    this.sweepTimer = setTimeout(() => {
      void this.sweep()
        .catch((error: unknown) => this.log.warn({ errorType: (error as Error)?.name }, 'outbox sweep failed; retrying at the next one'))
        .finally(() => this.scheduleSweep(SWEEP_INTERVAL_MS));
    }, delayMs);
    this.sweepTimer.unref();
  }

  /**
   * The safety net behind the markers: finds every outbox with events and makes sure it has one
   * (an outbox written before markers existed, or a marker removed while its command was committing
   * when that process died). At start-up and every SWEEP_INTERVAL_MS, so rare enough to be cheap.
   */
  async sweep(): Promise<number> {
    let repaired = 0;
    for (const name of OUTBOX_COLLECTIONS) {
      const docs = await this.db
        .collection(name)
        .find({ outboxSince: { $exists: true } } as Document, { projection: { outboxSince: 1, 'outbox.id': 1 }, ...MAINTENANCE_TIMEOUT })
        .toArray();
      for (const doc of docs) {
        if (this.stopped) return repaired;
        const events = Array.isArray(doc.outbox) ? doc.outbox.length : 0;
        if (events === 0) continue;
        await this.pending.repair(name, String(doc._id), events, doc.outboxSince as Date);
        repaired += 1;
      }
    }
    if (repaired > 0) this.log.info({ outboxes: repaired }, 'outbox sweep: pending outboxes marked');
    return repaired;
  }

  /** SIGTERM: no new batches; the one in flight finishes (publish, log, removal) before Kafka closes. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    clearTimeout(this.backlogTimer);
    clearTimeout(this.sweepTimer);
    if (this.draining) this.log.info('shutdown: waiting for the relay batch in flight');
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
        let ok: boolean;
        try {
          ok = await this.publishBatch(collection, batch);
        } catch (error) {
          // The database failed mid-batch: keep them hot (the poll retries after the backoff).
          for (const id of batch) ids.add(id);
          throw error;
        }
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

  /** The oldest pending outboxes (by marker), except those another instance is publishing right now. */
  private async pollOnce(): Promise<number> {
    let published = 0;
    for (;;) {
      if (this.stopped) return published;
      // The lease collection holds one document per outbox being published: tiny.
      const leased = await this.leases()
        .find({ until: { $gte: new Date() } } as Document, { projection: { _id: 1 } })
        .toArray();
      const due = await this.pending.oldest(BATCH_SIZE, leased.map((lease) => String(lease._id)));
      if (due.length === 0) break;
      const byCollection = new Map<string, PendingOutbox[]>();
      for (const marker of due) byCollection.set(marker.collection, [...(byCollection.get(marker.collection) ?? []), marker]);
      for (const [name, markers] of byCollection) {
        const touches = new Map(markers.map((m) => [m.aggregateId, m.touch]));
        const ok = await this.publishBatch(name, markers.map((m) => m.aggregateId), touches);
        if (!ok) return published;
      }
      published += due.length;
      if (due.length < BATCH_SIZE) break;
    }
    return published;
  }

  private leases(): Collection<OutboxLease> {
    return this.db.collection<OutboxLease>(OUTBOX_LEASES_COLLECTION);
  }

  /**
   * Claim → publish → log → remove, for one batch of aggregates. False when Kafka refused.
   *
   * Every query on an aggregate collection names one document by `_id`: FerretDB uses no index
   * for any other filter, `{_id: {$in: [...]}}` included, so those scan the whole collection —
   * an updateMany while holding the proxy's global write lock (bench/REPORT.md). Leases therefore
   * live in their own small collection (one document per outbox being published): a batch costs
   * one insertMany (claim), reads by `_id`, one update by `_id` per aggregate (the removal, which
   * must touch the aggregate anyway) and one deleteMany of leases — instead of an updateMany and
   * a find over `$in` to claim, and a bulk update plus another `$in` find to remove.
   */
  private async publishBatch(collectionName: string, ids: string[], knownTouches?: Map<string, number>): Promise<boolean> {
    const collection = this.db.collection(collectionName);
    const leased = await this.claim(collectionName, ids);
    if (leased.length === 0) return true;
    let claimed: ClaimedOutbox[] = [];
    try {
      // Each marker's `touch` is read before its aggregate: a command marking after this read keeps its marker.
      const touches = await Promise.all(
        leased.map(async (id) => knownTouches?.get(id) ?? (await this.pending.touchOf(pendingKey(collectionName, id)))),
      );
      const docs = await Promise.all(
        leased.map(
          (id) =>
            collection.findOne({ _id: id, outboxSince: { $exists: true } } as Document, {
              projection: { outbox: 1, lastSequence: 1 },
            }) as Promise<ClaimedOutbox | null>,
        ),
      );
      claimed = docs.filter((doc): doc is ClaimedOutbox => doc !== null);
      let drained = new Set<string>();
      if (claimed.length > 0) {
        const result = await this.publishClaimed(collection, claimed);
        if (result === false) return false;
        drained = result;
      }
      // Markers of outboxes now empty (or found empty) go; a failure here only costs a later look.
      await Promise.all(
        leased.map((id, i) =>
          (docs[i] === null || drained.has(id)) && touches[i] !== undefined ? this.pending.clear(pendingKey(collectionName, id), touches[i]!).catch(() => undefined) : undefined,
        ),
      );
      return true;
    } finally {
      // Removal done (or failed): the outboxes are free for whoever comes next.
      await this.release(collectionName, leased);
    }
  }

  /** Takes the lease of each outbox not leased by a live instance; returns the ids it got. */
  private async claim(collectionName: string, ids: string[]): Promise<string[]> {
    const now = new Date();
    const until = new Date(now.getTime() + LEASE_MS);
    const lease = (id: string): OutboxLease => ({ _id: leaseKey(collectionName, id), owner: this.owner, until });
    let refused = await this.insertLeases(ids.map(lease));
    if (refused.size > 0) {
      // Held by someone: take over those whose holder died (lease expired) and stale ones of ours.
      const keys = [...refused];
      await this.leases().deleteMany({ _id: { $in: keys }, $or: [{ until: { $lt: now } }, { owner: this.owner }] } as Document);
      const retry = ids.filter((id) => refused.has(leaseKey(collectionName, id)));
      refused = await this.insertLeases(retry.map(lease));
    }
    return ids.filter((id) => !refused.has(leaseKey(collectionName, id)));
  }

  /** Inserts leases; a duplicate key means the outbox is leased already. Returns those keys. */
  private async insertLeases(leases: OutboxLease[]): Promise<Set<string>> {
    if (leases.length === 0) return new Set();
    try {
      await this.leases().insertMany(leases, { ordered: false });
      return new Set();
    } catch (error) {
      if (!isDuplicateKeyOnly(error)) throw error;
      // Which ones did we get? Read them back rather than trust every server's error indexes.
      const mine = await this.leases()
        .find({ _id: { $in: leases.map((l) => l._id) }, owner: this.owner, until: leases[0].until } as Document, { projection: { _id: 1 } })
        .toArray();
      const held = new Set(mine.map((m) => String(m._id)));
      return new Set(leases.map((l) => l._id).filter((key) => !held.has(key)));
    }
  }

  private async ownsLease(collectionName: string, id: string): Promise<boolean> {
    return (await this.leases().countDocuments({ _id: leaseKey(collectionName, id), owner: this.owner } as Document, { limit: 1 })) > 0;
  }

  /** False when Kafka refused; otherwise the ids whose outbox is now empty. */
  private async publishClaimed(collection: Collection, claimed: ClaimedOutbox[]): Promise<false | Set<string>> {
    const events = claimed.flatMap((doc) => [...(doc.outbox ?? [])].sort((a, b) => a.sequence - b.sequence));
    const { records, sendable, unpublishable } = this.prepare(events);
    // Set aside before the acknowledgement removes them: an event that can never be encoded
    // must not block its aggregate's later events (nor the rest of the batch) forever.
    if (unpublishable.length > 0) await this.deadLetter(collection.collectionName, unpublishable);
    if (records.length > 0) {
      const started = Date.now();
      try {
        await this.kafka.send(records);
      } catch (error) {
        this.metrics.publishFailed(records.length);
        this.backOff(error, 'publishing to Kafka failed; events stay in the outbox');
        return false;
      }
      this.failures = 0;
      this.retryAt = 0;
      this.metrics.published(sendable, Date.now() - started, Date.now());
      await this.appendToEventLog(sendable, new Date());
    }
    return this.acknowledge(collection, claimed, events);
  }

  /** Each event as its Kafka record (sealed fields opened), or, if that fails, why. */
  private prepare(events: StoredEvent[]) {
    const records: OutgoingRecord[] = [];
    const sendable: StoredEvent[] = [];
    const unpublishable: Array<{ event: StoredEvent; error: Error }> = [];
    for (const event of events) {
      try {
        records.push({ ...encodeEvent(toEnvelope(this.sealer.open(event), this.config.events.source)), topic: event.topic, timestamp: event.time.getTime() });
        sendable.push(event);
      } catch (error) {
        unpublishable.push({ event, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
    return { records, sendable, unpublishable };
  }

  /**
   * Moves events that cannot be encoded (e.g. a sealed magic link whose key was removed from
   * MFA_ENCRYPTION_PREVIOUS_KEYS) to OUTBOX_DEAD_LETTERS_COLLECTION, as stored: sealed fields
   * stay sealed. Logged at error level and counted, and kept for inspection; nothing re-publishes
   * them (a magic link expires within 10 minutes: the user asks for a new one).
   */
  private async deadLetter(collectionName: string, unpublishable: Array<{ event: StoredEvent; error: Error }>): Promise<void> {
    const now = new Date();
    const docs: OutboxDeadLetter[] = unpublishable.map(({ event, error }) => ({
      _id: event.id,
      collection: collectionName,
      event,
      reason: `${error.name}: ${error.message}`,
      deadLetteredAt: now,
    }));
    // Some may be set aside already, by an earlier attempt that did not get to remove them from the outbox.
    await insertMissing(this.db.collection<OutboxDeadLetter>(OUTBOX_DEAD_LETTERS_COLLECTION), docs);
    for (const { event, error } of unpublishable) {
      this.metrics.deadLettered(event);
      this.log.error(
        { eventId: event.id, type: event.type, aggregateId: event.key, sequence: event.sequence, err: { name: error.name, message: error.message } },
        `outbox event cannot be published; moved to ${OUTBOX_DEAD_LETTERS_COLLECTION}`,
      );
    }
  }

  private async appendToEventLog(events: StoredEvent[], publishedAt: Date): Promise<void> {
    const docs: EventLogDocument[] = events.map((event) => ({ ...redactForLog(event), _id: event.id, publishedAt }));
    // Some may be logged already, by an earlier (crashed or raced) publication of the same events.
    await insertMissing(this.eventLog, docs);
  }

  /**
   * Remove what was published. FerretDB's `$pull` cannot match sub-documents, so the outbox is
   * replaced with a compare-and-set on `lastSequence`: it only succeeds if no command appended
   * since we read it. One `_id` write per aggregate, issued together; only the aggregates whose
   * compare-and-set missed (a command committed while we published) are read again.
   */
  private async acknowledge(collection: Collection, claimed: ClaimedOutbox[], events: StoredEvent[]): Promise<Set<string>> {
    const published = new Map<string, number>();
    for (const event of events) published.set(event.key, Math.max(published.get(event.key) ?? 0, event.sequence));
    const results = await Promise.all(
      claimed.map((doc) => collection.updateOne({ _id: doc._id, lastSequence: doc.lastSequence ?? 0 } as Document, DRAINED)),
    );
    const drained = new Set(claimed.filter((_, i) => results[i].modifiedCount === 1).map((doc) => doc._id));
    const missed = claimed.filter((_, i) => results[i].modifiedCount !== 1);
    await Promise.all(missed.map((doc) => this.acknowledgeRaced(collection, doc._id, published.get(doc._id) ?? 0)));
    return drained;
  }

  /** Commits arrived while we published: keep only the newer events (and publish them next). */
  private async acknowledgeRaced(collection: Collection, id: string, upTo: number): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      // Our lease lapsed and another instance took over: it removes what it publishes.
      if (!(await this.ownsLease(collection.collectionName, id))) return;
      const doc = (await collection.findOne({ _id: id } as Document, { projection: { outbox: 1, lastSequence: 1 } })) as unknown as ClaimedOutbox | null;
      if (!doc) return;
      const remaining = (doc.outbox ?? []).filter((event) => event.sequence > upTo);
      const update: Document = remaining.length === 0 ? DRAINED : { $set: { outbox: remaining } };
      const result = await collection.updateOne({ _id: id, lastSequence: doc.lastSequence ?? 0 } as Document, update);
      if (result.modifiedCount === 1) {
        if (remaining.length > 0) this.wake(collection.collectionName, id);
        return;
      }
    }
  }

  private async release(collectionName: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.leases()
      .deleteMany({ _id: { $in: ids.map((id) => leaseKey(collectionName, id)) }, owner: this.owner } as Document)
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
