import { createProgress, formatDuration } from './progress';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, columns: 100, chunks, write: (chunk: string) => chunks.push(chunk) > 0 };
}

describe('formatDuration', () => {
  it('is short and human', () => {
    expect(formatDuration(4.4)).toBe('4s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3 * 3600 + 7 * 60)).toBe('3h07m');
    expect(formatDuration(Infinity)).toBe('?');
  });
});

describe('createProgress', () => {
  it('writes a line every 10 % when stderr is not a terminal, after 2 quiet seconds', () => {
    let now = 0;
    const out = stream(false);
    const progress = createProgress(out, { label: 'replay', now: () => now });
    progress.start(1000, 0);
    for (let done = 50; done <= 1000; done += 50) {
      now += 250;
      progress.update(done);
    }
    progress.finish();
    expect(out.chunks).toHaveLength(7);
    expect(out.chunks[0]).toBe('replay: 400/1000 (40%) 200 events/s, ETA 3s\n');
    expect(out.chunks[1]).toBe('replay: 500/1000 (50%) 200 events/s, ETA 3s\n');
    expect(out.chunks[6]).toBe('replay: 1000/1000 (100%) 200 events/s, ETA 0s\n');
    expect(out.chunks.join('')).not.toContain('\r');
  });

  it('without a known total (a replay does not count first): what is done and the rate, every 5 s', () => {
    let now = 0;
    const out = stream(false);
    const progress = createProgress(out, { label: 'replay', now: () => now });
    progress.start(null, 0);
    for (let done = 100; done <= 3000; done += 100) {
      now += 500;
      progress.update(done);
    }
    progress.finish();
    expect(out.chunks).toEqual(['replay: 1000 events, 200 events/s\n', 'replay: 2000 events, 200 events/s\n', 'replay: 3000 events, 200 events/s\n']);
  });

  it('stays quiet on a short run without a terminal', () => {
    let now = 0;
    const out = stream(false);
    const progress = createProgress(out, { now: () => now });
    progress.start(100, 0);
    for (let done = 10; done <= 100; done += 10) {
      now += 150;
      progress.update(done);
    }
    progress.finish();
    expect(out.chunks).toEqual([]);
  });

  it('also writes every 5 s on a slow run, and counts only this run in the rate', () => {
    let now = 0;
    const out = stream(false);
    const progress = createProgress(out, { now: () => now });
    progress.start(100_000, 50_000);
    now = 6000;
    progress.update(50_600);
    expect(out.chunks).toEqual(['progress: 50600/100000 (50%) 100 events/s, ETA 8m14s\n']);
  });

  it('measures the rate from the first published batch once a second of it is known (not the initial query)', () => {
    let now = 0;
    const out = stream(false);
    const progress = createProgress(out, { label: 'replay', now: () => now });
    progress.start(2000, 0);
    now = 5000; // the first page query was slow
    progress.update(100);
    now = 7000;
    progress.update(1100);
    expect(out.chunks).toEqual(['replay: 100/2000 (5%) 20 events/s, ETA 1m35s\n', 'replay: 1100/2000 (55%) 500 events/s, ETA 2s\n']);
  });

  it('redraws a bar in place on a terminal, at most every 100 ms', () => {
    let now = 0;
    const out = stream(true);
    const progress = createProgress(out, { label: 'replay', now: () => now });
    progress.start(200, 0);
    now = 10;
    progress.update(10); // too soon: skipped
    now = 150;
    progress.update(100);
    now = 160;
    progress.update(200); // the end is always drawn
    progress.finish();
    expect(out.chunks).toHaveLength(4);
    // eslint-disable-next-line no-control-regex -- the progress line ends with the ANSI "erase to end of line" sequence
    expect(out.chunks[1]).toMatch(/^\rreplay \[#+\.+\] 100\/200 \(50%\) \d+ events\/s, ETA \d+s\x1b\[K$/);
    expect(out.chunks[2]).toMatch(/\] 200\/200 \(100%\)/);
    expect(out.chunks[3]).toBe('\n');
  });
});
