import { decodeEvent, EventEnvelope } from '@mfa/contracts';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';

/** A new topic's leader may not be known for a moment ("not the leader"): retry briefly. */
async function retrying<T>(fn: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts || !(error as { retriable?: boolean }).retriable) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export interface CollectedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  value: string;
  event: EventEnvelope | null;
  receivedAt: number;
}

/**
 * A real kafkajs consumer that records everything published to the given topics after
 * it started (it seeks to the end offsets read before joining), for assertions in tests.
 */
export class KafkaCollector {
  readonly records: CollectedRecord[] = [];
  private waiters: Array<() => void> = [];

  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: string, topics: string[], options: { fromBeginning?: boolean } = {}): Promise<KafkaCollector> {
    const kafka = new Kafka({ clientId: `test-collector-${randomUUID()}`, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    // No time-based retention: tests publish records with old timestamps (replays of 2025 events),
    // which the broker's 7-day retention would delete at its next check, mid-test.
    const forever = [{ name: 'retention.ms', value: '-1' }];
    if (missing.length)
      await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 3, configEntries: forever })), waitForLeaders: true });
    const ends = options.fromBeginning
      ? []
      : await Promise.all(topics.map(async (topic) => ({ topic, offsets: await retrying(() => admin.fetchTopicOffsets(topic)) })));
    await admin.disconnect();

    const consumer = kafka.consumer({ groupId: `test-${randomUUID()}`, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 100 });
    const collector = new KafkaCollector(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    // Where each partition ended before the start: older records are never collected, whether the
    // seeks below took effect or not (a consumer that crashed and restarted while joining, as on a
    // slow SASL_SSL broker, has no group to seek in yet, and a restart forgets pending seeks).
    const startAt = new Map(ends.flatMap(({ topic, offsets }) => offsets.map(({ partition, offset }) => [`${topic}:${partition}`, BigInt(offset)] as const)));
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const from = startAt.get(`${topic}:${partition}`);
        if (from !== undefined && BigInt(message.offset) < from) return;
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
        }
        let event: EventEnvelope | null = null;
        try {
          event = decodeEvent({ key: message.key, value: message.value, headers: message.headers });
        } catch {
          event = null;
        }
        collector.records.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          headers,
          value: message.value?.toString() ?? '',
          event,
          receivedAt: Date.now(),
        });
        for (const wake of collector.waiters.splice(0)) wake();
      },
    });
    for (const { topic, offsets } of ends) {
      for (const { partition, offset } of offsets) {
        try {
          consumer.seek({ topic, partition, offset }); // a shortcut only: startAt decides
        } catch {
          // no consumer group yet (see startAt)
        }
      }
    }
    await joined;
    return collector;
  }

  events(filter: (event: EventEnvelope) => boolean = () => true): EventEnvelope[] {
    return this.records.map((r) => r.event).filter((e): e is EventEnvelope => e !== null && filter(e));
  }

  /** Resolves once `predicate` holds over the collected events, or rejects after `timeoutMs`. */
  async waitFor(predicate: (events: EventEnvelope[]) => boolean, timeoutMs = 20_000, what = 'events'): Promise<EventEnvelope[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = this.events();
      if (predicate(events)) return events;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; have ${events.length} events`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
