import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import {
  deadLetterTopic,
  decodeEvent,
  EventDecodeError,
  idempotent,
  InboxCollection,
  isMembershipEventType,
  MembershipEvent,
  Topics,
  validateMembershipEvent,
} from '@mfa/contracts';
import { IncomingRecord, KafkaClient, KafkaConsumerRunner } from '@mfa/messaging';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { ROOT_LOGGER } from '../infra/root-logger';
import { MetricsService } from '../metrics/metrics.service';
import { MembershipProjection, ProjectionOutcome } from './membership.projection';
import { MEMBERSHIP_INBOX_COLLECTION } from './org-member.document';

const RESTART_DELAY_MS = 5_000;

/** Group id per deployment: `<KAFKA_CLIENT_ID>.membership` (`mfa-service.membership` by default). */
export const membershipGroupId = (config: AppConfig): string => `${config.kafka.clientId}.membership`;

function headerText(value: Buffer | string | Array<Buffer | string> | undefined): string | undefined {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return last === undefined ? undefined : last.toString();
}

/** Metric label from an untrusted header: known types only, so cardinality stays bounded. */
const membershipTypeLabel = (type: string | undefined): string => (isMembershipEventType(type) ? type : 'other');

/**
 * Consumes `identity.membership.v1` into the member read model. Bad input (undecodable,
 * unknown type or schema version, missing fields) goes to `<topic>.dlq` with the reason and
 * the offset moves on; any other failure (database down) is thrown, so the record is retried.
 */
@Injectable()
export class MembershipConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private runner?: KafkaConsumerRunner;
  private stopped = false;
  private restartTimer?: NodeJS.Timeout;
  private readonly log: Logger;
  private readonly consumed: Counter<'type' | 'outcome'>;
  private readonly deadLettered: Counter<never>;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly projection: MembershipProjection,
    @InjectConnection() private readonly connection: Connection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) logger: Logger,
    metrics: MetricsService,
  ) {
    this.log = logger.child({ component: 'membership-consumer' });
    this.consumed = metrics.counter('mfa_membership_events_consumed_total', 'Membership events consumed by type and outcome', ['type', 'outcome']);
    this.deadLettered = metrics.counter('mfa_membership_dlq_total', 'Membership records sent to the dead-letter topic');
  }

  /** Started in the background: joining the group must not delay serving requests. */
  onApplicationBootstrap(): void {
    this.runner = this.kafka.consumer({
      groupId: membershipGroupId(this.config),
      topics: [Topics.membership],
      fromBeginning: true,
      handle: (record) => this.handle(record),
    });
    this.start();
  }

  private start(): void {
    this.runner?.start().catch((error: unknown) => {
      if (this.stopped) return;
      this.log.warn({ error: (error as Error).message }, 'membership consumer failed to start; retrying');
      this.restartTimer = setTimeout(() => this.start(), RESTART_DELAY_MS);
    });
  }

  /** Before Kafka and the database disconnect (onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.runner?.stop();
  }

  async handle(record: IncomingRecord): Promise<void> {
    let event: MembershipEvent;
    try {
      const envelope = decodeEvent(record);
      const problems = validateMembershipEvent(envelope);
      if (problems.length > 0) throw new EventDecodeError(problems.join('; '));
      event = envelope as MembershipEvent;
    } catch (error) {
      if (!(error instanceof EventDecodeError)) throw error;
      await this.deadLetter(record, error.message);
      return;
    }
    let outcome: ProjectionOutcome | 'duplicate' = 'applied';
    const apply = idempotent<MembershipEvent>(
      async (e) => {
        outcome = await this.projection.apply(e);
      },
      { inbox: this.inbox() },
    );
    if ((await apply(event)) === 'duplicate') outcome = 'duplicate';
    this.consumed.inc({ type: event.type, outcome });
    this.log.debug({ eventId: event.id, type: event.type, outcome }, 'membership event consumed');
  }

  private inbox(): InboxCollection {
    return this.connection.collection(MEMBERSHIP_INBOX_COLLECTION) as unknown as InboxCollection;
  }

  private async deadLetter(record: IncomingRecord, reason: string): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(record.headers)) {
      const text = headerText(value);
      if (text !== undefined) headers[name] = text;
    }
    await this.kafka.send([
      {
        topic: deadLetterTopic(record.topic),
        key: record.key?.toString() ?? null,
        value: record.value,
        headers: {
          ...headers,
          dlq_reason: reason,
          dlq_original_topic: record.topic,
          dlq_original_partition: String(record.partition),
          dlq_original_offset: record.offset,
          dlq_consumer_group: membershipGroupId(this.config),
        },
      },
    ]);
    this.deadLettered.inc();
    this.consumed.inc({ type: membershipTypeLabel(headerText(record.headers['ce_type'])), outcome: 'dead_lettered' });
    this.log.warn({ reason, partition: record.partition, offset: record.offset }, 'membership record dead-lettered');
  }
}
