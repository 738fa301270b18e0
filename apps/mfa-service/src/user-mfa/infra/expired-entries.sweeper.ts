import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { APP_CONFIG, AppConfig, CLOCK, Clock } from '@mfa/common';
import { uuidv7 } from '@mfa/common/ids/uuid-v7';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../infra/root-logger';
import { USER_MFA_COLLECTION, UserMfaDocument } from './user-mfa.document';
import { UserMfaRepository } from './user-mfa.repository';

/** Documents rewritten per sweep at most (the rest wait for the next one, or their own next write). */
const MAX_PER_SWEEP = 5_000;
const PAGE = 200;

/**
 * Drops long-expired magic links, WebAuthn challenges and abandoned authenticator-app setups from users who do not write again
 * (every write already drops them: UserMfaRepository.commit). At start-up and every
 * RETENTION_SWEEP_INTERVAL_MS it finds documents by `pruneAt` and rewrites each through the
 * aggregate store: version-guarded, so a concurrent legitimate write is never overwritten (the
 * store reloads and re-decides on a conflict), and no event is appended.
 */
@Injectable()
export class ExpiredEntriesSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopping = false;
  private readonly log: Logger;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly users: UserMfaRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'retention' });
  }

  onApplicationBootstrap(): void {
    void this.sweepOnce();
    this.timer = setInterval(() => void this.sweepOnce(), this.config.retention.sweepIntervalMs);
    this.timer.unref();
  }

  /** Not awaited: a sweep stops after the document it is on (each rewrite stands on its own), so shutdown never waits for it. */
  onApplicationShutdown(): void {
    this.stopping = true;
    clearInterval(this.timer);
  }

  private sweepOnce(): Promise<number> {
    this.running ??= this.sweep()
      .catch((error: unknown) => {
        this.log.warn({ error: (error as Error).message }, 'expired-entries sweep failed; retried on the next one');
        return 0;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** Rewrites the documents with entries past their grace; returns how many. */
  async sweep(): Promise<number> {
    const now = this.clock.now();
    const documents = this.connection.collection<UserMfaDocument>(USER_MFA_COLLECTION);
    const seen = new Set<string>();
    let rewritten = 0;
    while (seen.size < MAX_PER_SWEEP && !this.stopping) {
      // Sorted, so the database reads the page to its end (FerretDB keeps an abandoned scan open).
      const page = await documents.find({ pruneAt: { $lte: now } }, { projection: { _id: 1 }, sort: { pruneAt: 1 }, limit: PAGE }).toArray();
      const fresh = page.map((doc) => doc._id).filter((id) => !seen.has(id));
      if (fresh.length === 0) break;
      for (const userId of fresh) {
        if (this.stopping) break;
        seen.add(userId);
        const id = uuidv7(now.getTime());
        // No decision of its own: the store's commit drops what has expired and recomputes `pruneAt`.
        const result = await this.users.execute(
          userId,
          (state) => ({ state: state!, events: [], changed: state !== null }),
          { correlationId: id, causationId: id, actorId: 'mfa-service', actorType: 'system' },
          now,
        );
        if (result.version > 0) rewritten += 1;
      }
      if (page.length < PAGE) break;
    }
    if (rewritten > 0) this.log.info({ rewritten }, 'expired magic links and challenges removed');
    return rewritten;
  }
}
