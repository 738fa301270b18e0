/**
 * A sliding-window rate limit approximated from two fixed windows (the current one and the one
 * before it): the previous window's count is weighted by how much of it still overlaps the last
 * `windowMs`. A fixed window alone lets a caller spend its limit at the end of one window and again
 * at the start of the next — twice the limit within one window's length; weighted, any span of one
 * window's length holds about `limit` attempts.
 */
export interface WindowCounts {
  /** Attempts counted in the current fixed window, this one included. */
  current: number;
  /** Attempts counted in the fixed window before it. */
  previous: number;
}

export type WindowVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export function windowStartOf(nowMs: number, windowMs: number): number {
  return Math.floor(nowMs / windowMs) * windowMs;
}

export function slidingWindowVerdict(counts: WindowCounts, nowMs: number, windowMs: number, limit: number): WindowVerdict {
  const windowStart = windowStartOf(nowMs, windowMs);
  const elapsed = nowMs - windowStart;
  const weighted = (at: number) => counts.previous * Math.max(0, 1 - at / windowMs) + counts.current;
  if (weighted(elapsed) <= limit) return { allowed: true };
  // When the next attempt (refused ones count too) would be allowed, if no other comes meanwhile:
  // once the previous window's weight has decayed enough, or else once the current window has
  // become the previous one and decayed in turn.
  const retryAt =
    counts.current + 1 <= limit && counts.previous > 0
      ? windowStart + windowMs * (1 - (limit - counts.current - 1) / counts.previous)
      : windowStart + windowMs + windowMs * (1 - Math.max(0, limit - 1) / counts.current);
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((retryAt - nowMs) / 1000)) };
}
