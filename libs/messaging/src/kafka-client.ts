import { Admin, ConfigResourceTypes, Kafka, logLevel as KafkaLogLevel, LogEntry, Message, Producer } from 'kafkajs';
import { describeKafkaSecurity, KafkaSecurity } from '@mfa/common/config/kafka-security';
import type { Logger } from 'pino';
import { ConsumerRunnerOptions, KafkaConsumerRunner } from './kafka-consumer';
import { kafkaJsSecurity } from './kafka-security';

/**
 * The only module that knows kafkajs. Everything else talks to this small surface, so
 * the client can be swapped (kafkajs is unmaintained) without touching the service.
 */
export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  connectTimeoutMs: number;
  logger: Logger;
  /** TLS and SASL; absent = plaintext without authentication. */
  security?: KafkaSecurity;
  /** false: never create topics (ACLs forbid it); a missing topic given to start() is a start-up error. Default true. */
  createTopics?: boolean;
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  configEntries?: Array<{ name: string; value: string }>;
}

export interface OutgoingRecord {
  topic: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Kafka record timestamp (ms); we use the event's own time. */
  timestamp?: number;
}

export class KafkaUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KafkaUnavailableError';
  }
}

/** Start-up found topics missing that it may not create (KAFKA_CREATE_TOPICS=false). */
export class KafkaTopicsMissingError extends KafkaUnavailableError {
  constructor(readonly topics: string[]) {
    super(`Kafka topics missing: ${topics.join(', ')} (KAFKA_CREATE_TOPICS=false: create them, or allow the service to)`);
    this.name = 'KafkaTopicsMissingError';
  }
}

/**
 * The broker refused the records themselves (too large for the topic's `max.message.bytes`, an
 * invalid record or timestamp): sending them again as they are fails again. Connection, leader and
 * timeout failures are never this; they pass once the broker is back.
 */
export class KafkaRecordRefusedError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KafkaRecordRefusedError';
  }
}

/** Protocol errors the broker answers for the records of a partition, never for the connection. */
const RECORD_REFUSALS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'INVALID_TIMESTAMP']);

/** The record-level refusal behind a kafkajs error (retry wrappers keep it as `cause` / `originalError`), if any. */
export function recordRefusal(error: unknown, depth = 0): { type: string; message: string } | null {
  if (!error || typeof error !== 'object' || depth > 5) return null;
  const e = error as { name?: string; type?: string; message?: string; cause?: unknown; originalError?: unknown };
  if (e.name === 'KafkaJSProtocolError' && e.type && RECORD_REFUSALS.has(e.type)) return { type: e.type, message: e.message ?? e.type };
  return recordRefusal(e.cause, depth + 1) ?? recordRefusal(e.originalError, depth + 1);
}

const TLS_FAILURE = /certificate|self[- ]signed|\bssl\b|\btls\b|handshake|wrong version number|unable to verify/i;

/** One start-up line an operator can act on: authentication, TLS or reachability. */
function startupFailure(error: unknown, brokers: string, security: KafkaSecurity | undefined): KafkaUnavailableError {
  if (error instanceof KafkaTopicsMissingError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  const how = security ? describeKafkaSecurity(security) : 'plaintext, no SASL';
  if (error instanceof Error && error.name === 'KafkaJSSASLAuthenticationError') {
    return new KafkaUnavailableError(`Kafka authentication failed at ${brokers} (${how}): ${reason}`);
  }
  if (security?.tls && TLS_FAILURE.test(reason)) {
    return new KafkaUnavailableError(`Kafka TLS connection failed at ${brokers} (${how}): ${reason}`);
  }
  return new KafkaUnavailableError(`Kafka unreachable at ${brokers} (${how}): ${reason}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KafkaUnavailableError(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class KafkaClient {
  readonly kafka: Kafka;
  private producer: Producer;
  private readonly admin: Admin;
  private producerConnected = false;
  /** Set after a record-level refusal: the next send starts with a new producer (see send). */
  private renewProducer = false;

  constructor(private readonly options: KafkaClientOptions) {
    const log = options.logger.child({ component: 'kafkajs' });
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      ...kafkaJsSecurity(options.security),
      connectionTimeout: Math.min(options.connectTimeoutMs, 3000),
      requestTimeout: 5_000,
      // Short client-side retries: the outbox relay owns the retry loop and backoff.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
      logLevel: KafkaLogLevel.WARN,
      logCreator: () => (entry: LogEntry) => {
        const { message, ...extra } = entry.log;
        const level = entry.level <= KafkaLogLevel.ERROR ? 'warn' : 'debug';
        log[level]({ namespace: entry.namespace, broker: extra['broker'], error: extra['error'] }, message);
      },
    });
    this.producer = this.newProducer();
    this.admin = this.kafka.admin();
  }

  private newProducer(): Producer {
    // Idempotent producer: exactly one in-flight request keeps per-partition order across retries.
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    producer.on(producer.events.CONNECT, () => producer === this.producer && (this.producerConnected = true));
    producer.on(producer.events.DISCONNECT, () => producer === this.producer && (this.producerConnected = false));
    return producer;
  }

  /** Connects producer and admin and makes sure the topics exist; returns the topics it created. Fails with a clear message. */
  async start(topics: TopicSpec[]): Promise<string[]> {
    const brokers = this.options.brokers.join(',');
    try {
      await withTimeout(this.admin.connect(), this.options.connectTimeoutMs, `connecting to Kafka at ${brokers}`);
      const created = await withTimeout(this.ensureTopics(topics), this.options.connectTimeoutMs * 2, `creating Kafka topics`);
      await withTimeout(this.producer.connect(), this.options.connectTimeoutMs, `connecting the Kafka producer`);
      return created;
    } catch (error) {
      await this.stop().catch(() => undefined);
      throw startupFailure(error, brokers, this.options.security);
    }
  }

  /**
   * Creates the missing topics (existing ones are left as they are); returns the names it created.
   * With createTopics false nothing is created and missing topics are a KafkaTopicsMissingError.
   */
  async ensureTopics(topics: TopicSpec[]): Promise<string[]> {
    const existing = new Set(await this.admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return [];
    if (this.options.createTopics === false) throw new KafkaTopicsMissingError(missing.map((t) => t.topic));
    await this.admin.createTopics({ topics: missing, waitForLeaders: true });
    return missing.map((t) => t.topic);
  }

  /** Which of these topics the cluster does not have (topics other services own are checked, never created). */
  async missingTopics(topics: string[]): Promise<string[]> {
    const existing = new Set(await this.admin.listTopics());
    return topics.filter((topic) => !existing.has(topic));
  }

  /** Each topic's effective `retention.ms` (-1: kept forever), as the broker reports it. */
  async retentionMs(topics: string[]): Promise<Map<string, number>> {
    if (topics.length === 0) return new Map();
    const described = await this.admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms'] })),
    });
    const retention = new Map<string, number>();
    for (const resource of described.resources) {
      const entry = resource.configEntries.find((e) => e.configName === 'retention.ms');
      if (entry) retention.set(resource.resourceName, Number(entry.configValue));
    }
    return retention;
  }

  /**
   * Sends records in order with acks=all. Rejects if the broker does not acknowledge; with a
   * KafkaRecordRefusedError when it refused records as such (see there).
   */
  async send(records: OutgoingRecord[]): Promise<void> {
    if (this.renewProducer) await this.replaceProducer();
    try {
      await this.sendBatch(records);
    } catch (error) {
      const refusal = recordRefusal(error);
      if (!refusal) throw error;
      // Partitions of the same request the broker accepted were written, yet kafkajs rewinds the
      // idempotent producer's sequence numbers of all of them (the broker would then refuse their
      // next records as out of order): the next send uses a new producer id.
      this.renewProducer = true;
      throw new KafkaRecordRefusedError(refusal.type, refusal.message);
    }
  }

  /** A new idempotent producer (new producer id) in place of the current one; a failed connect leaves it for the next send. */
  private async replaceProducer(): Promise<void> {
    const previous = this.producer;
    const next = this.newProducer();
    try {
      await next.connect();
    } catch (error) {
      await next.disconnect().catch(() => undefined);
      throw error;
    }
    this.producer = next;
    this.producerConnected = true;
    this.renewProducer = false;
    await previous.disconnect().catch(() => undefined);
  }

  private async sendBatch(records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const record of records) {
      const messages = byTopic.get(record.topic) ?? [];
      messages.push({
        key: record.key,
        value: record.value,
        headers: record.headers,
        timestamp: record.timestamp !== undefined ? String(record.timestamp) : undefined,
      });
      byTopic.set(record.topic, messages);
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  /** A consumer group member on this client's brokers; the caller starts and stops it. */
  consumer(options: ConsumerRunnerOptions): KafkaConsumerRunner {
    return new KafkaConsumerRunner(this.kafka, options, this.options.logger.child({ component: 'kafka-consumer', groupId: options.groupId }));
  }

  /** Readiness: the producer is connected and a broker answers a metadata request in time. */
  async isReady(timeoutMs = 2000): Promise<boolean> {
    if (!this.producerConnected) return false;
    try {
      await withTimeout(this.admin.describeCluster(), timeoutMs, 'describing the Kafka cluster');
      return true;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }
}
