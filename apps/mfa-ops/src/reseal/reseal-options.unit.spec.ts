import { UsageError } from '../replay/replay-options';
import { parseResealCommandLine } from './reseal-options';

describe('reseal command line', () => {
  it('defaults: a real run, batches of 500, a generated job name', () => {
    expect(parseResealCommandLine([])).toEqual({ kind: 'reseal', options: { dryRun: false, batchSize: 500 } });
  });

  it('reads --dry-run, --job and --batch-size; --help wins', () => {
    expect(parseResealCommandLine(['--dry-run', '--job', 'rotate-k1', '--batch-size', '50'])).toEqual({
      kind: 'reseal',
      options: { dryRun: true, job: 'rotate-k1', batchSize: 50 },
    });
    expect(parseResealCommandLine(['--job', 'x', '-h'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--bogus'], 'unknown option --bogus'],
    [['--job'], '--job needs a value'],
    [['--job', 'a b'], '--job must be'],
    [['--batch-size', '0'], '--batch-size must be an integer from 1 to 10000'],
    [['--batch-size', 'many'], '--batch-size must be an integer'],
  ])('%j → usage error', (argv, message) => {
    expect(() => parseResealCommandLine(argv)).toThrow(UsageError);
    expect(() => parseResealCommandLine(argv)).toThrow(message);
  });
});
