#!/usr/bin/env node
/**
 * Example downstream consumer (`npm run example-consumer`). Environment: KAFKA_BROKERS (and the
 * service's KAFKA_SSL* / KAFKA_SASL_* variables for a secured cluster),
 * MONGO_URL, MONGO_DB_NAME (default example_consumer), GROUP_ID (default example-consumer),
 * OUTBOX_DIR (default ./outbox), FROM_BEGINNING (default false).
 */
import { KafkaSecurity, loadKafkaSecurity } from '@mfa/common/config/kafka-security';
import { jsonLog, startExampleConsumer } from './example-consumer';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
// Node's warnings would be plain text among the JSON lines: log them as JSON. kafkajs 2.2.4 arms a
// timer with a negative delay (tulios/kafkajs#1751), which Node 24 reports as TimeoutNegativeWarning
// on every connection and clamps to 1 ms as Node 20 did: dropped.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'TimeoutNegativeWarning') jsonLog('warn', warning.message, { warning: warning.name });
});

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    jsonLog('warn', `missing environment variable ${name}`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  let kafkaSecurity: KafkaSecurity;
  try {
    kafkaSecurity = loadKafkaSecurity(process.env);
  } catch (error) {
    jsonLog('warn', (error as Error).message);
    process.exit(2);
  }
  const consumer = await startExampleConsumer({
    brokers: required('KAFKA_BROKERS')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    kafkaSecurity,
    mongoUrl: required('MONGO_URL'),
    mongoDbName: process.env.MONGO_DB_NAME?.trim() || 'example_consumer',
    groupId: process.env.GROUP_ID?.trim() || 'example-consumer',
    outboxDir: process.env.OUTBOX_DIR?.trim() || 'outbox',
    fromBeginning: process.env.FROM_BEGINNING === 'true',
  });
  const shutdown = (signal: NodeJS.Signals) => {
    jsonLog('info', 'stopping', { signal });
    consumer.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  jsonLog('warn', 'example consumer failed', { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
