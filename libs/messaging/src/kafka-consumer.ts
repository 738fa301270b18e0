import type { Consumer, IHeaders, Kafka } from 'kafkajs';
import type { Logger } from 'pino';

/** A record as handed to a consumer's handler, without kafkajs types. */
export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | Array<Buffer | string> | undefined>;
}

export interface ConsumerRunnerOptions {
  groupId: string;
  topics: string[];
  /** A new group starts at the oldest retained record (read models rebuild from history). */
  fromBeginning?: boolean;
  /** Resolve = done (offset committed); throw = not done: the record is retried, never skipped. */
  handle: (record: IncomingRecord) => Promise<void>;
}

/**
 * One consumer group member processing records one at a time per partition. A handler that
 * throws makes kafkajs retry with backoff and then restart the consumer from the last
 * committed offset, so a failing record is redelivered rather than lost.
 */
export class KafkaConsumerRunner {
  private readonly consumer: Consumer;
  private stopped = false;

  constructor(
    kafka: Kafka,
    private readonly options: ConsumerRunnerOptions,
    private readonly logger: Logger,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000, restartOnFailure: async () => !this.stopped },
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) =>
      this.logger.warn({ groupId: options.groupId, error: payload.error?.message, restart: payload.restart }, 'consumer crashed'),
    );
  }

  /** Connects, subscribes and starts consuming; resolves once the group is joined. */
  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? false });
    // stop() may have been called while connecting: do not start consuming after it.
    if (this.stopped) return;
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        await this.options.handle({
          topic,
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers: (message.headers ?? {}) as IHeaders,
        });
      },
    });
  }

  /** Leaves the group; bounded so a shutdown during a broker outage does not hang. */
  async stop(timeoutMs = 5_000): Promise<void> {
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.consumer.disconnect().catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
  }
}
