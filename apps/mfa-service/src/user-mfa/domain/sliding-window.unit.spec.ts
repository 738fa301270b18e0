import { slidingWindowVerdict, WindowCounts } from './sliding-window';

describe('sliding-window rate limit (two fixed windows, the previous one weighted)', () => {
  const W = 600_000;
  const start = 100 * W;
  const verdict = (counts: WindowCounts, at: number, limit = 10) => slidingWindowVerdict(counts, start + at, W, limit);

  it('within the limit: allowed', () => {
    expect(verdict({ previous: 0, current: 10 }, 0)).toEqual({ allowed: true });
    expect(verdict({ previous: 10, current: 1 }, W * 0.1)).toEqual({ allowed: true }); // 10 × 0.9 + 1 = 10
  });

  it('the limit spent at the end of one window is not spent again at the start of the next (a fixed window allows 2×)', () => {
    // 10 at the end of the previous window; one second into this one.
    expect(verdict({ previous: 10, current: 1 }, 1_000)).toMatchObject({ allowed: false });
    // Half-way, half of the previous window still counts: 5 more fit, the 6th does not.
    expect(verdict({ previous: 10, current: 5 }, W / 2)).toEqual({ allowed: true });
    expect(verdict({ previous: 10, current: 6 }, W / 2)).toMatchObject({ allowed: false });
  });

  it('Retry-After: when the next attempt would be allowed, whichever window it falls in', () => {
    // 10 × (1 − t/W) + 2 ≤ 10 from t = 0.2 W: 120 s from the window start, 119 s after this second.
    expect(verdict({ previous: 10, current: 1 }, 1_000)).toEqual({ allowed: false, retryAfterSeconds: 119 });
    // The current window alone is over: in the next one its 11 weigh 11 × (1 − t/W) + 1 ≤ 10 from t = 2W/11.
    const over = verdict({ previous: 0, current: 11 }, W / 2);
    expect(over).toEqual({ allowed: false, retryAfterSeconds: Math.ceil((W / 2 + (2 * W) / 11) / 1000) });
    // Limit 1: one attempt in the previous window blocks the next until the current window has fully decayed.
    expect(verdict({ previous: 1, current: 1 }, 0, 1)).toEqual({ allowed: false, retryAfterSeconds: 2 * (W / 1000) });
  });

  it('after a whole window without attempts everything is allowed again (nothing older than the previous window counts)', () => {
    expect(verdict({ previous: 0, current: 1 }, 0)).toEqual({ allowed: true });
  });
});
