import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { APP_CONFIG, AppConfig } from '@mfa/common';
import { ensureIndexes, TtlFallback } from '@mfa/persistence';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { indexCatalogue } from '../infra/indexes';
import { ROOT_LOGGER } from '../infra/root-logger';

/**
 * Every declared index (infra/indexes.ts), created by name at start-up; superseded ones dropped.
 * Where the database has no TTL indexes (FerretDB) the same retention is applied by a sweep:
 * at start-up and every RETENTION_SWEEP_INTERVAL_MS, each expired document deleted by its
 * (indexed) date field.
 */
@Injectable()
export class EventLogIndexes implements OnModuleInit, OnApplicationShutdown {
  private ttlFallbacks: TtlFallback[] = [];
  private timer?: NodeJS.Timeout;
  private readonly log: Logger;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'retention' });
  }

  async onModuleInit(): Promise<void> {
    const { ttlFallbacks } = await ensureIndexes(this.connection.db!, indexCatalogue(this.config.retention));
    this.ttlFallbacks = ttlFallbacks;
    if (ttlFallbacks.length === 0) return;
    this.log.info({ collections: ttlFallbacks.map((t) => t.collection) }, 'the database has no TTL indexes: retention applied by a periodic sweep');
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.config.retention.sweepIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Deletes what TTL indexes would have; returns the count per collection. */
  async sweep(now = new Date()): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const { collection, field, expireAfterSeconds } of this.ttlFallbacks) {
      try {
        const cutoff = new Date(now.getTime() - expireAfterSeconds * 1000);
        const result = await this.connection.collection(collection).deleteMany({ [field]: { $lt: cutoff } });
        deleted[collection] = result.deletedCount;
      } catch (error) {
        this.log.warn({ collection, error: (error as Error).message }, 'retention sweep failed; retried on the next one');
      }
    }
    if (Object.values(deleted).some((n) => n > 0)) this.log.info({ deleted }, 'retention sweep');
    return deleted;
  }
}
