import { UsageError } from '../replay/replay-options';
import { parseRedriveCommandLine } from './redrive-options';

describe('mfa-ops redrive command line', () => {
  it('re-drives the named dead letters, or all of them; --dry-run changes nothing', () => {
    expect(parseRedriveCommandLine(['--ids', 'a, b,c'])).toEqual({ kind: 'redrive', options: { ids: ['a', 'b', 'c'], dryRun: false } });
    expect(parseRedriveCommandLine(['--all', '--dry-run'])).toEqual({ kind: 'redrive', options: { ids: null, dryRun: true } });
    expect(parseRedriveCommandLine(['--help'])).toEqual({ kind: 'help' });
  });

  it.each([
    [[], 'say which dead letters'],
    [['--dry-run'], 'say which dead letters'],
    [['--ids'], '--ids needs a value'],
    [['--ids', ','], 'comma list'],
    [['--ids', 'a b'], 'comma list'],
    [['--all', '--ids', 'a'], 'either --ids or --all'],
    [['--all', '--all'], 'either --ids or --all'],
    [['--collection', 'x'], 'unknown option --collection'],
  ])('%j is a usage error (%s)', (argv, message) => {
    expect(() => parseRedriveCommandLine(argv)).toThrow(UsageError);
    expect(() => parseRedriveCommandLine(argv)).toThrow(message);
  });
});
