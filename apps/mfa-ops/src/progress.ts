/**
 * Progress of a long operation on stderr: a redrawn bar on a terminal, otherwise a plain
 * line every 10 % or 5 s once the run has lasted 2 s (logs and CI keep a readable history
 * instead of control codes, and short runs stay quiet).
 */
export interface ProgressSink {
  /** `done` is what an earlier run already did (a resumed job): it counts toward the bar, not the rate. */
  /** `total` null: not known (only what is done and the rate are shown). */
  start(total: number | null, done: number): void;
  update(done: number): void;
  finish(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export interface ProgressOptions {
  label?: string;
  now?: () => number;
  /** Non-TTY: at most one line per this interval unless another 10 % step is crossed. */
  lineIntervalMs?: number;
  /** TTY: minimal time between redraws. */
  redrawMs?: number;
  /** Non-TTY: no lines during the first this many ms, so short runs print only their summary. */
  quietMs?: number;
}

export const silentProgress: ProgressSink = { start: () => undefined, update: () => undefined, finish: () => undefined };

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function createProgress(stream: ProgressStream, options: ProgressOptions = {}): ProgressSink {
  const now = options.now ?? Date.now;
  const label = options.label ?? 'progress';
  const tty = stream.isTTY === true;
  const lineIntervalMs = options.lineIntervalMs ?? 5000;
  const redrawMs = options.redrawMs ?? 100;
  const quietMs = options.quietMs ?? 2000;
  let total = 0;
  let known = true;
  let baseline = 0;
  let startedAt = 0;
  let lastDraw = 0;
  let lastStep = 0;
  let drawn = false;

  // The first update comes after the initial query, which can take seconds on a large log:
  // once a second of publishing is measured, the rate counts from there.
  let first: { at: number; done: number } | null = null;

  const stats = (done: number) => {
    const t = now();
    const measured = first !== null && t - first.at >= 1000;
    const rate = measured ? (done - first!.done) / ((t - first!.at) / 1000) : (done - baseline) / Math.max(0.001, (t - startedAt) / 1000);
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    const percent = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
    return { rate, eta, percent };
  };

  const text = (done: number) => {
    const { rate, eta, percent } = stats(done);
    if (!known) return `${done} events, ${Math.round(rate)} events/s`;
    return `${done}/${total} (${percent}%) ${Math.round(rate)} events/s, ETA ${done >= total ? '0s' : formatDuration(eta)}`;
  };

  const drawBar = (done: number) => {
    const info = text(done);
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - info.length - label.length - 6));
    const filled = !known ? 0 : total > 0 ? Math.min(width, Math.round((done / total) * width)) : width;
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${info}\x1b[K`);
    drawn = true;
  };

  return {
    start(newTotal, done) {
      known = newTotal !== null;
      total = newTotal ?? 0;
      baseline = done;
      startedAt = now();
      lastDraw = startedAt;
      lastStep = total > 0 ? Math.floor((done / total) * 10) : 10;
      first = null;
      if (tty && known && total > 0) drawBar(done);
    },
    update(done) {
      const t = now();
      first ??= { at: t, done };
      if (tty) {
        if (t - lastDraw >= redrawMs || (known && done >= total)) {
          lastDraw = t;
          drawBar(done);
        }
        return;
      }
      if (t - startedAt < quietMs) return;
      const step = !known ? lastStep : total > 0 ? Math.floor((done / total) * 10) : 10;
      if (step > lastStep || t - lastDraw >= lineIntervalMs) {
        lastStep = Math.max(lastStep, step);
        lastDraw = t;
        stream.write(`${label}: ${text(done)}\n`);
      }
    },
    finish() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  };
}
