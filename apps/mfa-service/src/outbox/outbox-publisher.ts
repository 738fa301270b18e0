import { encodeEvent } from '@mfa/contracts';
import { KafkaClient, KafkaRecordRefusedError, OutgoingRecord } from '@mfa/messaging';
import { EventLogDocument, insertMissing, StoredEvent, toEnvelope } from '@mfa/persistence';
import type { Collection } from 'mongodb';
import type { Logger } from 'pino';
import { OutboxDeadLetters } from './outbox-dead-letters';
import { AggregateProgress, ClaimedOutbox, OutboxEvent, withoutAttempts } from './outbox-event';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxSealer } from './outbox-sealer';

export interface PublisherOptions {
  /** CloudEvents `source`. */
  source: string;
  /** Refusals of one event's record before it is set aside (OUTBOX_MAX_ATTEMPTS). */
  maxAttempts: number;
}

/** Kafka could not be reached: nothing is done, every event stays in its outbox. */
export type PublishOutcome = { unavailable: unknown } | { progress: Map<string, AggregateProgress> };

interface Aggregate {
  id: string;
  /** Its encodable events, in sequence order. */
  events: OutboxEvent[];
}

/**
 * Sends claimed outboxes' events (sealed fields opened) in sequence order, appends what was sent
 * to the event log, and sets aside what can never go: events that cannot be encoded at once,
 * records the broker keeps refusing after `maxAttempts` tries.
 *
 * A batch goes in one send. When the broker refuses records as such (KafkaRecordRefusedError),
 * each aggregate is sent on its own, and a refused one event by event: its events before the
 * refused record go out, the refused one and those after it wait (per-aggregate order), and every
 * other aggregate is published. An aggregate whose first event was refused before goes on its own
 * straight away. Connection failures count nothing: the whole batch waits for the relay's retry.
 */
export class OutboxPublisher {
  constructor(
    private readonly kafka: KafkaClient,
    private readonly sealer: OutboxSealer,
    private readonly eventLog: Collection<EventLogDocument>,
    private readonly deadLetters: OutboxDeadLetters,
    private readonly metrics: OutboxMetrics,
    private readonly options: PublisherOptions,
    private readonly log: Logger,
  ) {}

  /** `onSent`: the records are on Kafka; the event-log insert comes next (the relay may start its next batch). */
  async publish(collectionName: string, claimed: ClaimedOutbox[], onSent?: () => void): Promise<PublishOutcome> {
    const sorted = claimed.map((doc) => ({ id: doc._id, events: [...(doc.outbox ?? [])].sort((a, b) => a.sequence - b.sequence) }));
    const { records, unpublishable } = this.prepare(sorted.flatMap((a) => a.events));
    await this.deadLetters.setAside(
      collectionName,
      'unencodable',
      unpublishable.map(({ event, error }) => ({ event, error, attempts: (event.attempts ?? 0) + 1 })),
    );
    const aggregates: Aggregate[] = sorted.map((a) => ({ id: a.id, events: a.events.filter((event) => records.has(event.id)) }));
    const published: OutboxEvent[] = [];
    const held = new Map<string, NonNullable<AggregateProgress['refused']>>();
    const started = Date.now();
    try {
      const suspect = (a: Aggregate) => (a.events[0]?.attempts ?? 0) > 0;
      const together = aggregates.filter((a) => !suspect(a) && a.events.length > 0);
      const alone = aggregates.filter(suspect);
      if (together.length > 0) {
        const events = together.flatMap((a) => a.events);
        try {
          await this.kafka.send(events.map((event) => records.get(event.id)!));
          published.push(...events);
        } catch (error) {
          if (!(error instanceof KafkaRecordRefusedError)) throw error;
          alone.unshift(...together);
        }
      }
      for (const aggregate of alone) {
        const refused = await this.publishAlone(collectionName, aggregate, records, published);
        if (refused) held.set(aggregate.id, refused);
      }
    } catch (error) {
      // Unreachable broker, timeouts, leaders moving: what was sent already goes again later (at-least-once).
      this.metrics.publishFailed(records.size);
      return { unavailable: error };
    }
    onSent?.();
    if (published.length > 0) {
      this.metrics.published(published, Date.now() - started, Date.now());
      // Some may be logged already, by an earlier (crashed or raced) publication of the same events.
      const publishedAt = new Date();
      await insertMissing(
        this.eventLog,
        published.map((event) => ({ ...redactForLog(withoutAttempts(event)), _id: event.id, publishedAt })),
      );
    }
    return { progress: new Map(sorted.map((a) => [a.id, progressOf(a.events, held.get(a.id))])) };
  }

  /** One aggregate on its own: all its events in one send, else one by one up to the first the broker refuses. */
  private async publishAlone(
    collectionName: string,
    aggregate: Aggregate,
    records: Map<string, OutgoingRecord>,
    published: OutboxEvent[],
  ): Promise<AggregateProgress['refused']> {
    const { events } = aggregate;
    if (events.length > 1 && !(events[0].attempts ?? 0)) {
      try {
        await this.kafka.send(events.map((event) => records.get(event.id)!));
        published.push(...events);
        return undefined;
      } catch (error) {
        if (!(error instanceof KafkaRecordRefusedError)) throw error;
      }
    }
    for (const event of events) {
      try {
        await this.kafka.send([records.get(event.id)!]);
        published.push(event);
      } catch (error) {
        if (!(error instanceof KafkaRecordRefusedError)) throw error;
        const attempts = (event.attempts ?? 0) + 1;
        this.metrics.refused(event);
        if (attempts >= this.options.maxAttempts) {
          await this.deadLetters.setAside(collectionName, 'refused', [{ event, error, attempts }]);
          continue;
        }
        this.log.warn(
          {
            eventId: event.id,
            type: event.type,
            aggregateId: event.key,
            sequence: event.sequence,
            attempts,
            maxAttempts: this.options.maxAttempts,
            reason: error.reason,
          },
          'Kafka refused an outbox event; it and its aggregate’s later events wait for the next attempt',
        );
        return { eventId: event.id, attempts, error: `${error.name}: ${error.message}` };
      }
    }
    return undefined;
  }

  /** Each event as its Kafka record (sealed fields opened), or, if that fails, why. */
  private prepare(events: OutboxEvent[]) {
    const records = new Map<string, OutgoingRecord>();
    const unpublishable: Array<{ event: OutboxEvent; error: Error }> = [];
    for (const event of events) {
      try {
        const envelope = toEnvelope(this.sealer.open(withoutAttempts(event)), this.options.source);
        records.set(event.id, { ...encodeEvent(envelope), topic: event.topic, timestamp: event.time.getTime() });
      } catch (error) {
        unpublishable.push({ event, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
    return { records, unpublishable };
  }
}

/** Done up to the event before the refused one (everything before it was published or set aside), else all. */
function progressOf(events: OutboxEvent[], refused: AggregateProgress['refused']): AggregateProgress {
  let upTo = 0;
  for (const event of events) {
    if (event.id === refused?.eventId) return { upTo, refused };
    upTo = event.sequence;
  }
  return { upTo };
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
