import { Inject, Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { AppError, CLOCK, Clock } from '@mfa/common';
import type { RateLimit } from '@mfa/common';
import type { Connection } from 'mongoose';
import { slidingWindowVerdict, windowStartOf } from '../domain/sliding-window';

export const RATE_LIMITS_COLLECTION = 'rate_limits';

interface RateLimitDocument {
  _id: string;
  count: number;
  expiresAt: Date;
}

const CLEANUP_INTERVAL_MS = 60_000;

/**
 * Per-user sliding-window limits in MongoDB, so the limit holds across instances and restarts:
 * one atomic `$inc` upsert per attempt on `<bucket>:<userId>:<windowStart>` and, at the same time,
 * a read of the previous window's counter, weighted by how much of it still overlaps the last
 * window's length (domain/sliding-window.ts). Over the limit → 429 RATE_LIMITED with Retry-After.
 * The database has no TTL indexes (FerretDB), so counters are deleted opportunistically, at most
 * once a minute, once they can no longer weigh (two windows after their start).
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

  /** Counts one attempt; throws 429 when it exceeds `limit` within the last window's length. */
  async consume(bucket: string, userId: string, { limit, windowSeconds }: RateLimit): Promise<void> {
    const now = this.clock.now().getTime();
    const windowMs = windowSeconds * 1000;
    const windowStart = windowStartOf(now, windowMs);
    const key = (start: number) => `${bucket}:${userId}:${start}`;
    const [counter, previous] = await Promise.all([
      this.counters().findOneAndUpdate(
        { _id: key(windowStart) },
        { $inc: { count: 1 }, $setOnInsert: { expiresAt: new Date(windowStart + 2 * windowMs) } },
        { upsert: true, returnDocument: 'after' },
      ),
      this.counters().findOne({ _id: key(windowStart - windowMs) }, { projection: { count: 1 } }),
    ]);
    this.cleanup(now);
    const verdict = slidingWindowVerdict({ current: counter?.count ?? 1, previous: previous?.count ?? 0 }, now, windowMs, limit);
    if (!verdict.allowed) {
      throw new AppError('rate_limited', 'RATE_LIMITED', 'Too many requests, try again later', { retryAfterSeconds: verdict.retryAfterSeconds });
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
