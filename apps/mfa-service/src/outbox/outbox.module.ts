import { Module } from '@nestjs/common';
import { EventLogIndexes } from './event-log.indexes';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxRelay } from './outbox-relay';
import { OutboxSealer } from './outbox-sealer';

@Module({
  providers: [OutboxRelay, OutboxMetrics, EventLogIndexes, OutboxSealer],
  exports: [OutboxRelay, OutboxSealer],
})
export class OutboxModule {}
