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
/** Restarts after a crash wait 1 s, 2 s, 4 s ... up to 30 s while the broker stays away: a consumer backs off instead of crash-looping. */
const RESTART_BACKOFF_MS = { initial: 1_000, max: 30_000 };

export class KafkaConsumerRunner {
  private readonly consumer: Consumer;
  private stopped = false;
  private crashes = 0;
  private wakeFromBackoff?: () => void;

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
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000, restartOnFailure: () => this.backOffBeforeRestart() },
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) =>
      this.logger.warn({ groupId: options.groupId, error: payload.error?.message, restart: payload.restart, crashes: this.crashes }, 'consumer crashed'),
    );
    // Joined again: the broker is back, the next crash starts the backoff from the beginning.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.crashes = 0));
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

  /**
   * kafkajs awaits this before it reports the crash and schedules the restart, so waiting here
   * spaces the restarts out exponentially instead of crash-looping every few hundred ms.
   */
  private async backOffBeforeRestart(): Promise<boolean> {
    const delay = Math.min(RESTART_BACKOFF_MS.max, RESTART_BACKOFF_MS.initial * 2 ** Math.min(this.crashes, 10));
    this.crashes += 1;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.wakeFromBackoff = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeFromBackoff = undefined;
    return !this.stopped;
  }

  /** Leaves the group; bounded so a shutdown during a broker outage does not hang. */
  async stop(timeoutMs = 5_000): Promise<void> {
    this.stopped = true;
    this.wakeFromBackoff?.();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.consumer.disconnect().catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
  }
}
