import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import { KafkaClient } from '@mfa/messaging';
import { EVENT_LOG_COLLECTION, EventLogDocument } from '@mfa/persistence';
import type { Db } from 'mongodb';
import type { Connection } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../infra/root-logger';
import { OutboxAcknowledger } from './outbox-acknowledger';
import { OutboxBacklog } from './outbox-backlog';
import { BatchOptions, OutboxBatch } from './outbox-batch';
import { OutboxDeadLetters } from './outbox-dead-letters';
import { leaseKey, OutboxLeases } from './outbox-leases';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxPublisher } from './outbox-publisher';
import { OutboxSealer } from './outbox-sealer';
import { PendingOutbox, PendingOutboxes } from './pending-outboxes';

export { OUTBOX_DEAD_LETTERS_COLLECTION } from './outbox-dead-letters';
export { OUTBOX_LEASES_COLLECTION } from './outbox-leases';

const BATCH_SIZE = 200;
const POLL_INTERVAL_MS = 1_000;
const MAX_BACKOFF_MS = 5_000;

/**
 * A batch costs five writes whatever its size (OutboxBatch), so one started while the previous batch
 * finishes must hold at least five aggregates to stay within one write per event; fewer wait for
 * that batch to end and go together in the next.
 */
const EARLY_BATCH_MIN = 5;

/** How a hot batch ended: `ok` false when Kafka was away (`error` absent) or the database failed (`error`). */
type HotOutcome = { ok: boolean; error?: unknown };

/**
 * Publishes the events that commands left in their aggregates' outboxes.
 *
 * For a batch of aggregates: claim them with a time-limited lease (OutboxLeases, so several
 * instances never publish the same outbox at once), send their events in sequence order with
 * acks=all and append them to the event log (OutboxPublisher), then remove them from the
 * outboxes (OutboxAcknowledger). A crash anywhere before the removal means they are sent again
 * later: at-least-once, never lost. This class is the loop: wake-up, poll, backoff.
 *
 * Woken in-process right after each commit (low latency); a slow poll finds the rest
 * (another instance's leftovers, expired leases, a backlog after a Kafka outage).
 * Leases use the real clock, never the injectable domain clock.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Woken aggregates by collection → whether a pending marker may exist (its `touch` must then be read). */
  private readonly hot = new Map<string, Map<string, boolean>>();
  /** Lease keys of the aggregates in a hot batch right now. */
  private readonly inFlight = new Set<string>();
  private readonly log: Logger;
  private pending!: PendingOutboxes;
  private leases!: OutboxLeases;
  private batches!: OutboxBatch;
  private backlog!: OutboxBacklog;
  private pollTimer?: NodeJS.Timeout;
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
    const db = this.connection.db as unknown as Db;
    this.pending = new PendingOutboxes(db);
    this.leases = new OutboxLeases(db, this.owner);
    const deadLetters = new OutboxDeadLetters(db, this.metrics, this.log);
    const eventLog = db.collection<EventLogDocument>(EVENT_LOG_COLLECTION);
    const options = { source: this.config.events.source, maxAttempts: this.config.events.outboxMaxAttempts };
    const publisher = new OutboxPublisher(this.kafka, this.sealer, eventLog, deadLetters, this.metrics, options, this.log);
    const acknowledger = new OutboxAcknowledger(this.leases, (collection, id) => this.wake(collection, id));
    this.batches = new OutboxBatch(db, this.pending, this.leases, publisher, acknowledger);
    this.backlog = new OutboxBacklog(db, this.pending, this.log);
    // Scrapes read the last count (no database work per scrape); the timer keeps it fresh.
    this.metrics.observeBacklog(() => Promise.resolve(this.backlogSnapshot()));
    this.backlog.start();
    this.schedulePoll(0);
  }

  /**
   * Records that these aggregates are about to commit `events` new outbox events (before the commit,
   * so a failure here fails the command with nothing written), or, with 0, touches their markers
   * right after it (see PendingOutboxes).
   */
  async markPending(collection: string, marks: Array<{ id: string; events: number }>, at: Date): Promise<void> {
    await this.pending.mark(collection, marks, at);
  }

  /** Events waiting and the age of the oldest, as of the last refresh (a few seconds old at most). */
  backlogSnapshot(): { events: number; oldestAgeSeconds: number } {
    return this.backlog.snapshot();
  }

  /** Marks every outbox with events that has no marker (see OutboxBacklog.sweep). */
  sweep(): Promise<number> {
    return this.backlog.sweep();
  }

  /** SIGTERM: no new batches; the one in flight finishes (publish, log, removal) before Kafka closes. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    this.backlog?.stop();
    if (this.draining) this.log.info('shutdown: waiting for the relay batch in flight');
    await this.draining;
    // Woken outboxes not published yet may have no marker (see PendingOutboxes): leave one for the other instances.
    if (this.pending) await this.handOverHot().catch(() => undefined);
  }

  /**
   * Called right after a commit: publish this aggregate's outbox now rather than at the next poll.
   * `markerWritten` false: the commit wrote no pending marker (user-mfa commands), so the batch does
   * not read one; a marker the relay left earlier (a failed publication) is then cleared by the poll.
   */
  wake(collection: string, aggregateId: string, markerWritten = true): void {
    if (this.stopped) return;
    let ids = this.hot.get(collection);
    if (!ids) this.hot.set(collection, (ids = new Map()));
    ids.set(aggregateId, ids.get(aggregateId) === true || markerWritten);
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

  /**
   * Hot aggregates in batches, at most two at once: the next batch (of at least EARLY_BATCH_MIN
   * aggregates) claims, reads and sends while the previous one writes its event log, removal, markers
   * and lease release (writes that wait for FerretDB's write lock behind the commands', which an event
   * committed meanwhile need not wait for). An aggregate is never in both (per-aggregate order; and a
   * lease is never taken over from ourselves): one hot again while its batch finishes waits for it.
   */
  private async drainHot(): Promise<void> {
    let finishing: Promise<HotOutcome> | null = null;
    let failed: HotOutcome | undefined;
    try {
      while (!this.stopped && Date.now() >= this.retryAt) {
        const next = finishing && this.startable() < EARLY_BATCH_MIN ? null : this.takeHot();
        if (!next) {
          if (!finishing) break;
          // Too few to pay for a batch of their own (or all in the batch finishing): they join the next one.
          const outcome: HotOutcome = await finishing;
          finishing = null;
          if (!outcome.ok) {
            failed = outcome;
            break;
          }
          continue;
        }
        const { sent, done } = this.startHot(next.collection, next.ids, next.unmarked);
        await sent;
        const previous = finishing;
        finishing = done;
        const outcome = previous ? await previous : { ok: true };
        if (!outcome.ok) {
          failed = outcome;
          break;
        }
      }
    } finally {
      const last = finishing ? await finishing : undefined;
      failed ??= last?.ok === false ? last : undefined;
    }
    // Kafka unreachable: publishBatch backed off already. A database failure: kick() backs off.
    if (failed && 'error' in failed) throw failed.error;
    // Kafka is failing: hand the woken ids to the poll, which retries after the backoff.
    if (!this.stopped && Date.now() < this.retryAt) await this.handOverHot();
  }

  /** Hot aggregates in no batch now. */
  private startable(): number {
    let n = 0;
    for (const [collection, ids] of this.hot) for (const id of ids.keys()) if (!this.inFlight.has(leaseKey(collection, id))) n++;
    return n;
  }

  /**
   * Up to BATCH_SIZE hot aggregates of one collection that are in no batch now, marked in flight;
   * `unmarked`: those whose commits wrote no marker.
   */
  private takeHot(): { collection: string; ids: string[]; unmarked: Set<string> } | null {
    for (const [collection, ids] of this.hot) {
      const batch: string[] = [];
      const unmarked = new Set<string>();
      for (const [id, markerWritten] of ids) {
        if (batch.length >= BATCH_SIZE) break;
        if (this.inFlight.has(leaseKey(collection, id))) continue;
        batch.push(id);
        if (!markerWritten) unmarked.add(id);
      }
      if (batch.length === 0) continue;
      for (const id of batch) {
        ids.delete(id);
        this.inFlight.add(leaseKey(collection, id));
      }
      return { collection, ids: batch, unmarked };
    }
    return null;
  }

  /** One hot batch: `sent` once its records are on Kafka (or it ended), `done` when it ended (never rejects). */
  private startHot(collection: string, batch: string[], unmarked: Set<string>): { sent: Promise<void>; done: Promise<HotOutcome> } {
    let markSent!: () => void;
    const sent = new Promise<void>((resolve) => (markSent = resolve));
    // Not published (Kafka away, or the database failed mid-batch): keep them hot; the poll retries after
    // the backoff. The failed batch may have left markers, so their touches are read next time.
    const keepHot = () => batch.forEach((id) => this.hot.get(collection)?.set(id, true));
    const done = this.publishBatch(collection, batch, { unmarked, onSent: markSent })
      .then(
        (ok): HotOutcome => {
          if (!ok) keepHot();
          return { ok };
        },
        (error: unknown): HotOutcome => {
          keepHot();
          return { ok: false, error };
        },
      )
      .finally(() => {
        for (const id of batch) this.inFlight.delete(leaseKey(collection, id));
        markSent();
      });
    return { sent, done };
  }

  /**
   * Marks the woken outboxes (user-mfa commits write no marker, see PendingOutboxes) and leaves them
   * to the poll: the backlog gauge and every instance see them. An outbox counts one event here.
   */
  private async handOverHot(): Promise<void> {
    for (const [collection, ids] of this.hot) {
      if (ids.size === 0) continue;
      const marked = [...ids.keys()];
      await this.pending.mark(
        collection,
        marked.map((id) => ({ id, events: 1 })),
        new Date(),
      );
      for (const id of marked) ids.delete(id);
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
      const due = await this.pending.oldest(BATCH_SIZE, await this.leases.liveKeys());
      if (due.length === 0) break;
      const byCollection = new Map<string, PendingOutbox[]>();
      for (const marker of due) byCollection.set(marker.collection, [...(byCollection.get(marker.collection) ?? []), marker]);
      for (const [name, markers] of byCollection) {
        const touches = new Map(markers.map((m) => [m.aggregateId, m.touch]));
        const ok = await this.publishBatch(
          name,
          markers.map((m) => m.aggregateId),
          { touches },
        );
        if (!ok) return published;
      }
      published += due.length;
      if (due.length < BATCH_SIZE) break;
    }
    return published;
  }

  /** One batch (OutboxBatch); false when Kafka could not be reached (the relay backs off). */
  private async publishBatch(collectionName: string, ids: string[], options: BatchOptions): Promise<boolean> {
    const outcome = await this.batches.run(collectionName, ids, options);
    if ('unavailable' in outcome) {
      this.backOff(outcome.unavailable, 'publishing to Kafka failed; events stay in the outbox');
      return false;
    }
    this.failures = 0;
    this.retryAt = 0;
    return true;
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
