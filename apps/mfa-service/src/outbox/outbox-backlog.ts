import { MAINTENANCE_TIMEOUT } from '@mfa/persistence';
import type { Db, Document } from 'mongodb';
import type { Logger } from 'pino';
import { OUTBOX_COLLECTIONS } from './outbox-collections';
import { PendingOutboxes } from './pending-outboxes';

/** How often the backlog gauges and readiness body are refreshed from the pending markers. */
const BACKLOG_REFRESH_MS = 2_000;
/** The safety net: a full read of every outbox collection for outboxes without a marker (see PendingOutboxes). */
const SWEEP_INTERVAL_MS = 5 * 60_000;

/**
 * The relay's view of what waits: the backlog figures (refreshed from the pending markers on a
 * timer, so scrapes and readiness do no database work) and the sweep that repairs missing markers.
 */
export class OutboxBacklog {
  private lastBacklog = { events: 0, oldestSince: null as number | null };
  private backlogTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly pending: PendingOutboxes,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.refresh();
    this.scheduleSweep(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.backlogTimer);
    clearTimeout(this.sweepTimer);
  }

  /** Events waiting and the age of the oldest, as of the last refresh (at most BACKLOG_REFRESH_MS old). */
  snapshot(): { events: number; oldestAgeSeconds: number } {
    const { events, oldestSince } = this.lastBacklog;
    return { events, oldestAgeSeconds: oldestSince === null ? 0 : Math.max(0, (Date.now() - oldestSince) / 1000) };
  }

  private refresh(): void {
    if (this.stopped) return;
    const now = Date.now();
    void this.pending
      .backlog(now)
      .then(
        ({ events, oldestAgeSeconds }) =>
          (this.lastBacklog = { events, oldestSince: events > 0 || oldestAgeSeconds > 0 ? now - oldestAgeSeconds * 1000 : null }),
      )
      .catch(() => undefined) // the database is away: keep the last figures, readiness says why
      .finally(() => {
        if (this.stopped) return;
        this.backlogTimer = setTimeout(() => this.refresh(), BACKLOG_REFRESH_MS);
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
}
