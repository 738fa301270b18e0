import { Global, Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import { deadLetterTopic, PUBLISHED_TOPICS, Topics } from '@mfa/contracts';
import { KafkaClient, TopicSpec } from '@mfa/messaging';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from './root-logger';

/** The topics this service owns (publishes to): created when missing unless KAFKA_CREATE_TOPICS=false. */
function ownedTopics(config: AppConfig): TopicSpec[] {
  const names = [...PUBLISHED_TOPICS, deadLetterTopic(Topics.membership)];
  return names.map((topic) => ({
    topic,
    numPartitions: config.kafka.topicPartitions,
    replicationFactor: config.kafka.topicReplicationFactor,
  }));
}

/** Topics other services own that this one consumes: checked, never created (the consumer waits for them). */
const FOREIGN_TOPICS = [Topics.membership];

/** Connects to Kafka and creates the owned topics before the app serves; disconnects last on shutdown. */
@Injectable()
class KafkaLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly kafka: KafkaClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.kafka.start(ownedTopics(this.config));
    const missing = await this.kafka.missingTopics(FOREIGN_TOPICS).catch(() => []);
    if (missing.length > 0) {
      this.logger.warn({ component: 'kafka', topics: missing }, 'topics owned by other services are missing; their consumers retry until they exist');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.kafka.stop();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: KafkaClient,
      inject: [APP_CONFIG, ROOT_LOGGER],
      useFactory: (config: AppConfig, logger: Logger) =>
        new KafkaClient({
          brokers: config.kafka.brokers,
          clientId: config.kafka.clientId,
          connectTimeoutMs: config.kafka.connectTimeoutMs,
          logger,
          security: config.kafka.security,
          createTopics: config.kafka.createTopics,
        }),
    },
    KafkaLifecycle,
  ],
  exports: [KafkaClient],
})
export class MessagingModule {}
