import { Global, Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import { deadLetterTopic, PUBLISHED_TOPICS, Topics } from '@mfa/contracts';
import { KafkaClient, TopicSpec } from '@mfa/messaging';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from './root-logger';

function topicsToEnsure(config: AppConfig): TopicSpec[] {
  const names = [...PUBLISHED_TOPICS, Topics.membership, deadLetterTopic(Topics.membership)];
  return names.map((topic) => ({
    topic,
    numPartitions: config.kafka.topicPartitions,
    replicationFactor: config.kafka.topicReplicationFactor,
  }));
}

/** Connects to Kafka and creates the topics before the app serves; disconnects last on shutdown. */
@Injectable()
class KafkaLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly kafka: KafkaClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.kafka.start(topicsToEnsure(this.config));
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
        }),
    },
    KafkaLifecycle,
  ],
  exports: [KafkaClient],
})
export class MessagingModule {}
