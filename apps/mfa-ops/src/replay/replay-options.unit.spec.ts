import { DEFAULT_BATCH_SIZE, parseCommandLine, parseIsoTime, ReplayOptions, UsageError } from './replay-options';

const ID1 = '0190c2a0-0000-7000-8000-000000000001';
const ID2 = '0190C2A0-0000-7000-8000-000000000002';

const files: Record<string, string> = {
  'ids.txt': `# ids to replay\n${ID2}\n\n${ID1}, ${ID1}  # duplicate\n`,
  'empty.txt': '# nothing here\n',
  'bad.txt': `${ID1}\nnot-an-id\n`,
};
const io = {
  readFile: (path: string) => {
    if (!(path in files)) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return files[path];
  },
};

function replay(...args: string[]): ReplayOptions {
  const command = parseCommandLine(['replay', ...args], io);
  if (command.kind !== 'replay') throw new Error('expected a replay command');
  return command.options;
}

function usageError(args: string[]): string {
  try {
    parseCommandLine(args, io);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`expected a usage error for ${args.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('recognises help in every usual spelling', () => {
    for (const args of [['--help'], ['-h'], ['help'], ['replay', '--help'], ['replay', '--org', 'o', '-h']]) {
      expect(parseCommandLine(args, io)).toEqual({ kind: 'help' });
    }
  });

  it('needs the replay command', () => {
    expect(usageError([])).toMatch(/missing command/);
    expect(usageError(['replya'])).toMatch(/unknown command "replya"/);
  });

  it('parses a full selection with defaults for the rest', () => {
    const options = replay(
      '--from',
      '2025-01-01',
      '--to=2025-02-01T12:30:00+01:00',
      '--type',
      'MfaReset,OrgMfaEnforced',
      '--type',
      'MfaReset',
      '--org',
      'org-1',
      '--user',
      'user-1',
    );
    expect(options).toEqual({
      from: new Date('2025-01-01T00:00:00.000Z'),
      to: new Date('2025-02-01T11:30:00.000Z'),
      types: ['MfaReset', 'OrgMfaEnforced'],
      orgId: 'org-1',
      userId: 'user-1',
      all: false,
      dryRun: false,
      restart: false,
      batchSize: DEFAULT_BATCH_SIZE,
    });
  });

  it('parses ids from --ids and --ids-file, lower-cased, de-duplicated and sorted', () => {
    expect(replay('--ids', `${ID2},${ID1}`).ids).toEqual([ID1, ID2.toLowerCase()]);
    expect(replay('--ids-file', 'ids.txt').ids).toEqual([ID1, ID2.toLowerCase()]);
    expect(replay('--ids', ID1, '--ids-file', 'ids.txt').ids).toHaveLength(2);
  });

  it('parses the run options', () => {
    const options = replay('--all', '--dry-run', '--to-topic', 'mfa.rebuild.v1', '--batch-size', '50', '--job', 'rebuild-1', '--restart');
    expect(options).toMatchObject({ all: true, dryRun: true, toTopic: 'mfa.rebuild.v1', batchSize: 50, job: 'rebuild-1', restart: true });
  });

  it('refuses delivery events and unknown types', () => {
    expect(usageError(['replay', '--type', 'MagicLinkRequested'])).toMatch(/MagicLinkRequested is a delivery event and is never replayed/);
    expect(usageError(['replay', '--type', 'MfaReset,MagicLinkRequested'])).toMatch(/never replayed/);
    expect(usageError(['replay', '--type', 'Nope'])).toMatch(/unknown event type "Nope"; known types: OrgMfaEnforced/);
    expect(usageError(['replay', '--type', 'Nope'])).not.toMatch(/known types:.*MagicLinkRequested/);
    expect(usageError(['replay', '--type', 'mfareset'])).toMatch(/did you mean MfaReset\?/);
    expect(usageError(['replay', '--type', ','])).toMatch(/at least one event type/);
  });

  it('validates times and the half-open range', () => {
    expect(usageError(['replay', '--from', 'yesterday'])).toMatch(/--from must be an ISO 8601 date/);
    expect(usageError(['replay', '--from', '2025-01-01T10:00:00'])).toMatch(/has no time zone/);
    expect(usageError(['replay', '--to', '2025-02-30'])).toMatch(/--to must be an ISO 8601/);
    expect(usageError(['replay', '--to', '2025-01-01T24:00:00Z'])).toMatch(/--to must be an ISO 8601/);
    expect(usageError(['replay', '--from', '2025-01-02', '--to', '2025-01-01'])).toMatch(/--from \(2025-01-02T00:00:00.000Z\) must be before --to/);
    expect(usageError(['replay', '--from', '2025-01-01', '--to', '2025-01-01'])).toMatch(/must be before/);
  });

  it('validates ids and the ids file', () => {
    expect(usageError(['replay', '--ids', `${ID1},42`])).toMatch(/--ids: "42" is not an event id/);
    expect(usageError(['replay', '--ids-file', 'bad.txt'])).toMatch(/bad.txt line 2: "not-an-id" is not an event id/);
    expect(usageError(['replay', '--ids-file', 'empty.txt'])).toMatch(/holds no event ids/);
    expect(usageError(['replay', '--ids-file', 'missing.txt'])).toMatch(/cannot read --ids-file missing.txt: ENOENT/);
  });

  it('validates topic, batch size and job name', () => {
    expect(usageError(['replay', '--all', '--to-topic', 'bad topic'])).toMatch(/not a valid Kafka topic name/);
    expect(usageError(['replay', '--all', '--to-topic', '..'])).toMatch(/not a valid Kafka topic name/);
    for (const size of ['0', '10001', 'ten', '-5', '1.5']) {
      expect(usageError(['replay', '--all', `--batch-size=${size}`])).toMatch(/--batch-size must be an integer from 1 to 10000/);
    }
    expect(replay('--all', '--clock-skew', '60000').clockSkewMs).toBe(60_000);
    for (const skew of ['0', '3600001', 'soon']) {
      expect(usageError(['replay', '--all', `--clock-skew=${skew}`])).toMatch(/--clock-skew must be an integer from 1 to 3600000/);
    }
    expect(usageError(['replay', '--all', '--job', 'no spaces'])).toMatch(/not a valid job name/);
    expect(usageError(['replay', '--all', '--restart'])).toMatch(/--restart needs --job/);
  });

  it('reports malformed command lines clearly', () => {
    expect(usageError(['replay', '--all', '--orgg', 'x'])).toMatch(/unknown option --orgg/);
    expect(usageError(['replay', '--org'])).toMatch(/--org needs a value/);
    expect(usageError(['replay', '--org', '--dry-run'])).toMatch(/--org needs a value/);
    expect(usageError(['replay', '--org=', '--all'])).toMatch(/--org needs a value/);
    expect(usageError(['replay', '--org', 'a', '--org', 'b'])).toMatch(/--org given more than once/);
    expect(usageError(['replay', '--all', '--dry-run=yes'])).toMatch(/--dry-run takes no value/);
    expect(usageError(['replay', '--all', 'extra'])).toMatch(/unexpected argument "extra"/);
  });

  it('asks for an explicit --all before replaying the whole log', () => {
    expect(usageError(['replay'])).toMatch(/no selection: .* or --all/);
    expect(usageError(['replay', '--dry-run', '--to-topic', 't'])).toMatch(/no selection/);
    expect(replay('--all').all).toBe(true);
  });
});

describe('parseIsoTime', () => {
  it('reads dates as UTC midnight and honours offsets', () => {
    expect(parseIsoTime('from', '2024-02-29').toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseIsoTime('from', '2024-03-01T01:30+02:00').toISOString()).toBe('2024-02-29T23:30:00.000Z');
  });

  it('keeps milliseconds and cuts finer fractions', () => {
    expect(parseIsoTime('from', '2025-01-01T00:00:00.5Z').toISOString()).toBe('2025-01-01T00:00:00.500Z');
    expect(parseIsoTime('from', '2025-01-01T00:00:00.123999Z').toISOString()).toBe('2025-01-01T00:00:00.123Z');
  });

  it('refuses impossible calendar dates', () => {
    expect(() => parseIsoTime('from', '2023-02-29')).toThrow(UsageError);
    expect(() => parseIsoTime('from', '2025-13-01')).toThrow(UsageError);
  });
});
