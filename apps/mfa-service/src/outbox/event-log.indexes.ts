import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { ensureIndexes } from '@mfa/persistence';
import type { Connection } from 'mongoose';
import { INDEX_CATALOGUE } from '../infra/indexes';

/** Every declared index (infra/indexes.ts), created by name at start-up; superseded ones dropped. */
@Injectable()
export class EventLogIndexes implements OnModuleInit {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  async onModuleInit(): Promise<void> {
    await ensureIndexes(this.connection.db!, INDEX_CATALOGUE);
  }
}
