import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { EVENT_LOG_COLLECTION, MAINTENANCE_TIMEOUT } from '@mfa/persistence';
import type { Connection } from 'mongoose';
import { OUTBOX_COLLECTIONS } from './outbox-collections';
import { OUTBOX_LEASES_COLLECTION } from './outbox-relay';
import { PENDING_OUTBOXES_COLLECTION } from './pending-outboxes';

/** Indexes the relay's poll and the replay selections rely on; created once at start-up. */
@Injectable()
export class EventLogIndexes implements OnModuleInit {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  async onModuleInit(): Promise<void> {
    const log = this.connection.collection(EVENT_LOG_COLLECTION);
    await Promise.all([
      // Replay reads in (time, sequence, id) order.
      log.createIndex({ time: 1, sequence: 1, _id: 1 }, MAINTENANCE_TIMEOUT),
      log.createIndex({ type: 1, time: 1 }, MAINTENANCE_TIMEOUT),
      log.createIndex({ orgId: 1, time: 1 }, MAINTENANCE_TIMEOUT),
      log.createIndex({ userId: 1, time: 1 }, MAINTENANCE_TIMEOUT),
      ...OUTBOX_COLLECTIONS.map((name) => this.connection.collection(name).createIndex({ outboxSince: 1 }, MAINTENANCE_TIMEOUT)),
      // The relay's poll and the backlog count read the pending markers oldest first; live leases by expiry.
      this.connection.collection(PENDING_OUTBOXES_COLLECTION).createIndex({ since: 1 }, MAINTENANCE_TIMEOUT),
      this.connection.collection(OUTBOX_LEASES_COLLECTION).createIndex({ until: 1 }, MAINTENANCE_TIMEOUT),
    ]);
  }
}
