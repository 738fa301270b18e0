import { Inject, Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { AppError, CLOCK, Clock } from '@mfa/common';
import type { RateLimit } from '@mfa/common';
import type { Connection } from 'mongoose';

export const RATE_LIMITS_COLLECTION = 'rate_limits';

interface RateLimitDocument {
  _id: string;
  count: number;
  expiresAt: Date;
}

const CLEANUP_INTERVAL_MS = 60_000;

/**
 * Per-user fixed-window counters in MongoDB, so the limit holds across instances and restarts:
 * one atomic `$inc` upsert per attempt on `<bucket>:<userId>:<windowStart>`. Over the limit →
 * 429 RATE_LIMITED with Retry-After (seconds until the window ends). The database has no TTL
 * indexes (FerretDB), so expired windows are deleted opportunistically, at most once a minute.
 */
@Injectable()
export class RateLimiter {
  private lastCleanup = 0;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  private counters() {
    return this.connection.collection<RateLimitDocument>(RATE_LIMITS_COLLECTION);
  }

  /** Counts one attempt; throws 429 when it exceeds `limit` within the current window. */
  async consume(bucket: string, userId: string, { limit, windowSeconds }: RateLimit): Promise<void> {
    const now = this.clock.now().getTime();
    const windowMs = windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const expiresAt = new Date(windowStart + windowMs);
    const counter = await this.counters().findOneAndUpdate(
      { _id: `${bucket}:${userId}:${windowStart}` },
      { $inc: { count: 1 }, $setOnInsert: { expiresAt } },
      { upsert: true, returnDocument: 'after' },
    );
    this.cleanup(now);
    if ((counter?.count ?? 1) > limit) {
      throw new AppError('rate_limited', 'RATE_LIMITED', 'Too many requests, try again later', {
        retryAfterSeconds: Math.max(1, Math.ceil((expiresAt.getTime() - now) / 1000)),
      });
    }
  }

  private cleanup(now: number): void {
    if (now - this.lastCleanup < CLEANUP_INTERVAL_MS) return;
    this.lastCleanup = now;
    this.counters()
      .deleteMany({ expiresAt: { $lte: new Date(now) } })
      .catch(() => undefined);
  }
}
