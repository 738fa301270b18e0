import { Injectable } from '@nestjs/common';
import type { StoredEvent } from '@mfa/persistence';
import type { Counter, Histogram } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';

interface Backlog {
  events: number;
  oldestAgeSeconds: number;
}

@Injectable()
export class OutboxMetrics {
  private readonly latency: Histogram<'topic'>;
  private readonly sendDuration: Histogram<never>;
  private readonly publishedTotal: Counter<'topic'>;
  private readonly failures: Counter<never>;
  private readonly failedEvents: Counter<never>;
  private readonly deadLetteredTotal: Counter<'type' | 'cause'>;
  private readonly refusedTotal: Counter<'type'>;
  private backlogSource: () => Promise<Backlog> = async () => ({ events: 0, oldestAgeSeconds: 0 });

  constructor(private readonly metrics: MetricsService) {
    this.latency = metrics.histogram(
      'mfa_outbox_publish_latency_seconds',
      'Time from the command commit (event time) to the broker acknowledging the event',
      ['topic'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    );
    this.sendDuration = metrics.histogram(
      'mfa_outbox_send_duration_seconds',
      'Duration of one Kafka send of a relay batch',
      [],
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    );
    this.publishedTotal = metrics.counter('mfa_outbox_published_events_total', 'Events published to Kafka', ['topic']);
    this.failures = metrics.counter('mfa_outbox_publish_failures_total', 'Relay batches Kafka refused (events stay in the outbox)');
    this.failedEvents = metrics.counter('mfa_outbox_publish_failed_events_total', 'Events in relay batches Kafka refused');
    this.deadLetteredTotal = metrics.counter(
      'mfa_outbox_dead_lettered_events_total',
      'Events moved to outbox_dead_letters: cause "unencodable" (could not be encoded) or "refused" (Kafka refused the record OUTBOX_MAX_ATTEMPTS times)',
      ['type', 'cause'],
    );
    this.refusedTotal = metrics.counter(
      'mfa_outbox_refused_records_total',
      'Event records the broker refused as such (too large, invalid); retried up to OUTBOX_MAX_ATTEMPTS',
      ['type'],
    );
    const source = () => this.backlogSource();
    let cached: Promise<Backlog> | null = null;
    // Both gauges read one backlog snapshot per scrape.
    const snapshot = () => (cached ??= source().finally(() => setTimeout(() => (cached = null), 100)));
    metrics.gauge('mfa_outbox_backlog_events', 'Events written but not yet published', [], async function () {
      this.set((await snapshot()).events);
    });
    metrics.gauge('mfa_outbox_oldest_unpublished_age_seconds', 'Age of the oldest unpublished event', [], async function () {
      this.set((await snapshot()).oldestAgeSeconds);
    });
  }

  observeBacklog(source: () => Promise<Backlog>): void {
    this.backlogSource = source;
  }

  published(events: StoredEvent[], sendMs: number, ackedAt: number): void {
    this.sendDuration.observe(sendMs / 1000);
    for (const event of events) {
      this.publishedTotal.inc({ topic: event.topic });
      this.latency.observe({ topic: event.topic }, Math.max(0, (ackedAt - event.time.getTime()) / 1000));
    }
  }

  deadLettered(event: StoredEvent, cause: 'unencodable' | 'refused'): void {
    this.deadLetteredTotal.inc({ type: event.type, cause });
  }

  refused(event: StoredEvent): void {
    this.refusedTotal.inc({ type: event.type });
  }

  publishFailed(count: number): void {
    this.failures.inc();
    this.failedEvents.inc(count);
  }
}
