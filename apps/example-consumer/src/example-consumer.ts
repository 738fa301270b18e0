import type { KafkaSecurity } from '@mfa/common/config/kafka-security';
import { decodeEvent, EventDecodeError, EventEnvelope, idempotent, InboxCollection, Topics } from '@mfa/contracts';
import { kafkaJsSecurity } from '@mfa/messaging/kafka-security';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { mkdir } from 'node:fs/promises';
import { ForcedRelogin, react, Reaction, ReactionDeps } from './reactions';

export interface ExampleConsumerOptions {
  brokers: string[];
  /** TLS and SASL, from the service's KAFKA_SSL* / KAFKA_SASL_* variables (loadKafkaSecurity). */
  kafkaSecurity?: KafkaSecurity;
  mongoUrl: string;
  mongoDbName: string;
  groupId: string;
  outboxDir: string;
  /** A new group starts at the end by default: reacting to old deadlines would log people out for nothing. */
  fromBeginning?: boolean;
  log?: ReactionDeps['log'];
}

export interface RunningConsumer {
  stop(): Promise<void>;
}

export const INBOX_COLLECTION = 'example_consumer_inbox';
export const FORCED_RELOGINS_COLLECTION = 'forced_relogins';

/** JSON lines on stdout. */
export function jsonLog(level: 'info' | 'warn', message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
}

/**
 * A downstream service in a few lines: decode with @mfa/contracts, de-duplicate with its
 * `idempotent()` helper on a Mongo inbox, react. A handler error is thrown, so kafkajs
 * retries the record instead of skipping it.
 */
export async function startExampleConsumer(options: ExampleConsumerOptions): Promise<RunningConsumer> {
  const log = options.log ?? jsonLog;
  await mkdir(options.outboxDir, { recursive: true });
  const mongo = await MongoClient.connect(options.mongoUrl);
  const db = mongo.db(options.mongoDbName);
  const deps: ReactionDeps = { forcedRelogins: db.collection<ForcedRelogin>(FORCED_RELOGINS_COLLECTION), outboxDir: options.outboxDir, log };
  const last: { reaction: Reaction } = { reaction: 'ignored' };
  const handle = idempotent<EventEnvelope>(
    async (event) => {
      last.reaction = await react(deps, event);
    },
    { inbox: db.collection(INBOX_COLLECTION) as unknown as InboxCollection },
  );

  const kafka = new Kafka({ clientId: options.groupId, brokers: options.brokers, ...kafkaJsSecurity(options.kafkaSecurity), logLevel: logLevel.WARN });
  const consumer = kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 500 });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [Topics.userMfa, Topics.delivery], fromBeginning: options.fromBeginning ?? false });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        let event: EventEnvelope;
        try {
          event = decodeEvent(message);
        } catch (error) {
          if (!(error instanceof EventDecodeError)) throw error;
          log('warn', 'skipping undecodable record', { topic, partition, offset: message.offset, reason: error.message });
          return;
        }
        const handled = await handle(event);
        if (handled === 'duplicate') log('info', 'duplicate event skipped', { eventId: event.id, type: event.type });
        else if (last.reaction === 'invalid') log('warn', 'event does not match its schema; skipped', { eventId: event.id, type: event.type });
      },
    });
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    await mongo.close().catch(() => undefined);
    throw error;
  }
  log('info', 'example consumer running', { groupId: options.groupId, topics: [Topics.userMfa, Topics.delivery] });
  return {
    stop: async () => {
      await consumer.disconnect();
      await mongo.close();
    },
  };
}
