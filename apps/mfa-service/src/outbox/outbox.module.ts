import { Module } from '@nestjs/common';
import { EventLogIndexes } from './event-log.indexes';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxRelay } from './outbox-relay';

@Module({
  providers: [OutboxRelay, OutboxMetrics, EventLogIndexes],
  exports: [OutboxRelay],
})
export class OutboxModule {}
