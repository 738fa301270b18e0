import { UsageError } from '../replay/replay-options';

export const REDRIVE_USAGE = `Usage: npm run ops -- redrive (--ids <id,...> | --all) [--dry-run]
       node dist/apps/mfa-ops/src/main.js redrive (--ids <id,...> | --all) [--dry-run]

Puts events set aside in outbox_dead_letters back into their aggregate's outbox, for the
running service's relay to publish (with OUTBOX_MAX_ATTEMPTS fresh attempts). Fix the cause
first (e.g. raise the topic's max.message.bytes, restore a removed encryption key): an event
refused again is set aside again. A re-driven event keeps its id, time and sequence; it reaches
consumers after its aggregate's later events (they de-duplicate on id, order by sequence).

Options:
  --ids <id,...>          the dead letters (event ids) to re-drive
  --all                   every dead letter
  --dry-run               list what would be re-driven; change nothing
  -h, --help              show this help

Environment:
  MONGO_URL (required), MONGO_DB_NAME, MONGO_TIMEOUT_MS.

Exit codes: 0 done, 1 failure or events that could not be re-driven (listed; run again),
            2 usage or configuration error.
`;

export interface RedriveOptions {
  /** null: every dead letter. */
  ids: string[] | null;
  dryRun: boolean;
}

export type RedriveCommandLine = { kind: 'help' } | { kind: 'redrive'; options: RedriveOptions };

/** `argv` without the leading `redrive`. */
export function parseRedriveCommandLine(argv: string[]): RedriveCommandLine {
  let ids: string[] | null | undefined;
  let dryRun = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '--dry-run':
        dryRun = true;
        break;
      case '--all':
        if (ids !== undefined) throw new UsageError('give either --ids or --all, once');
        ids = null;
        break;
      case '--ids': {
        const value = argv[++i];
        if (value === undefined || value.startsWith('--')) throw new UsageError('--ids needs a value');
        if (ids !== undefined) throw new UsageError('give either --ids or --all, once');
        const list = value
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean);
        if (list.length === 0 || list.length > 10_000 || list.some((id) => !/^[A-Za-z0-9._:-]{1,200}$/.test(id))) {
          throw new UsageError('--ids must be a comma list of 1-10000 event ids');
        }
        ids = list;
        break;
      }
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  if (ids === undefined) throw new UsageError('say which dead letters: --ids <id,...> or --all');
  return { kind: 'redrive', options: { ids, dryRun } };
}
