import { encodeEvent, EventDataByType, EventType, EVENT_CATALOGUE } from '@mfa/contracts';
import { Kafka, logLevel, Producer } from 'kafkajs';
import type { Db } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { INBOX_COLLECTION } from '../../apps/example-consumer/src/example-consumer';
import { eventually } from './eventually';
import type { CollectedRecord } from './kafka-collector';
import { requireInfra, uniqueName } from './test-env';

let sequence = 0;

/** A record as mfa-service publishes it (binary mode, key = userId), for feeding a downstream consumer. */
export function eventRecord<T extends EventType>(type: T, data: EventDataByType[T], id = randomUUID()) {
  const userId = (data as { userId: string }).userId;
  return {
    id,
    topic: EVENT_CATALOGUE[type].topic,
    message: encodeEvent({
      id,
      source: 'mfa-service',
      type,
      specversion: '1.0',
      time: new Date().toISOString(),
      subject: userId,
      datacontenttype: 'application/json',
      dataschema: `urn:mfa-service:event:${type}:v1`,
      schemaversion: 1,
      sequence: ++sequence,
      userid: userId,
      actortype: 'system',
      data,
    }),
  };
}
export type EventRecord = ReturnType<typeof eventRecord>;

/** Publishes records the way a producer crash or a replay would: possibly again, same ids. */
export class TestProducer {
  private constructor(private readonly producer: Producer) {}

  static async start(): Promise<TestProducer> {
    const producer = new Kafka({
      clientId: uniqueName('test-producer'),
      brokers: requireInfra().kafkaBrokers.split(','),
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    return new TestProducer(producer);
  }

  async send(...records: EventRecord[]): Promise<void> {
    for (const r of records) await this.producer.send({ topic: r.topic, acks: -1, messages: [r.message] });
  }

  /** Re-publishes records a KafkaCollector received (same key, value and headers: a redelivery). */
  async redeliver(records: CollectedRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 500) {
      const chunk = records.slice(i, i + 500);
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...new Set(chunk.map((r) => r.topic))].map((topic) => ({
          topic,
          messages: chunk.filter((r) => r.topic === topic).map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
        })),
      });
    }
  }

  async stop(): Promise<void> {
    await this.producer.disconnect();
  }
}

/** How many of these event ids the example consumer has finished handling. */
export const inboxDone = (db: Db, ids: string[]): Promise<number> =>
  db.collection(INBOX_COLLECTION).countDocuments({ _id: { $in: ids as never[] }, status: 'done' });

/** A new consumer group starts at the end: repeat a harmless event until the consumer has seen one. */
export async function warmUpExampleConsumer(db: Db, producer: TestProducer): Promise<void> {
  await eventually(
    async () => {
      const probe = eventRecord('MfaVerificationSucceeded', { userId: uniqueName('probe'), orgId: null, method: 'GOOGLE_AUTH' });
      await producer.send(probe);
      await new Promise((resolve) => setTimeout(resolve, 500));
      return inboxDone(db, [probe.id]);
    },
    (n) => n === 1,
    'the consumer to receive a probe event',
    60_000,
  );
}
