import { EVENT_CATALOGUE, EventType, isEventType } from '@mfa/contracts';

/** A mistake in the command line or configuration: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage: npm run ops -- replay [selection] [options]
       node dist/apps/mfa-ops/src/main.js replay [selection] [options]

Re-publishes events from the service's event log with their original id, time, sequence
and key, marked replay=true (header ce_replay). Delivery events (MagicLinkRequested) are
never replayed. Events are read in id (creation time) order, one index range per page;
each key's events go out in sequence order, even when instance clocks differed (up to
--clock-skew).

Selection (combined with AND; at least one, or --all):
  --from <ISO>            events at or after this time (e.g. 2025-01-31 or 2025-01-31T12:00:00Z)
  --to <ISO>              events before this time (half-open: [from, to))
  --type <EventType>      event type; repeat or comma-separate for several
  --org <orgId>           events of this organization
  --user <userId>         events of this user
  --ids <id,id,...>       explicit event ids (repeatable)
  --ids-file <path>       event ids, one per line or comma/space separated; # comments
  --all                   the whole event log (required when no selection is given)

Options:
  --dry-run               count what would be replayed (by type and topic); publish nothing
                          (a real run does not count first: it reports what it published)
  --to-topic <topic>      publish to this topic instead of each event's original topic
  --batch-size <n>        events per acknowledged batch and checkpoint (1-10000, default 500)
  --clock-skew <ms>       how far instance clocks may have differed (1-3600000, default 5000): an
                          event waits until ids this much later are read; a larger skew stops the run
  --job <name>            name of a resumable job; re-run with the same selection to continue
                          after its checkpoint (a name is generated and printed if omitted)
  --restart               start the named job over (also allows a new selection for it)
  -h, --help              show this help

Environment:
  MONGO_URL (required), MONGO_DB_NAME, MONGO_TIMEOUT_MS,
  KAFKA_BROKERS (required unless --dry-run), KAFKA_CLIENT_ID (default mfa-ops),
  KAFKA_CONNECT_TIMEOUT_MS, KAFKA_TOPIC_PARTITIONS, KAFKA_TOPIC_REPLICATION_FACTOR
  (for topics that do not exist yet), EVENT_SOURCE (default mfa-service), LOG_LEVEL.

Exit codes: 0 done, 1 failure (checkpoint kept; re-run with the same --job),
            2 usage or configuration error, 130 interrupted (SIGINT/SIGTERM; checkpoint kept).

Examples:
  npm run ops -- replay --org org-42 --from 2025-01-01 --to 2025-02-01 --dry-run
  npm run ops -- replay --type OrgMfaEnforced,OrgMfaEnforcementLifted --to-topic mfa.rebuild.v1 --job rebuild-1
`;

export interface ReplayOptions {
  from?: Date;
  to?: Date;
  types?: EventType[];
  orgId?: string;
  userId?: string;
  ids?: string[];
  all: boolean;
  dryRun: boolean;
  toTopic?: string;
  batchSize: number;
  /** Replayer's clock-skew window; absent: its default. */
  clockSkewMs?: number;
  job?: string;
  restart: boolean;
}

export type OpsCommand = { kind: 'help' } | { kind: 'replay'; options: ReplayOptions };

export interface ParseIo {
  /** Reads `--ids-file`; injected so parsing stays testable without a file system. */
  readFile(path: string): string;
}

export const DEFAULT_BATCH_SIZE = 500;
const MAX_BATCH_SIZE = 10_000;
const MAX_CLOCK_SKEW_MS = 3_600_000;
const MAX_IDS = 100_000;

const VALUE_OPTIONS = ['from', 'to', 'type', 'org', 'user', 'ids', 'ids-file', 'to-topic', 'batch-size', 'clock-skew', 'job'] as const;
const FLAG_OPTIONS = ['dry-run', 'restart', 'all', 'help'] as const;
const REPEATABLE = new Set<string>(['type', 'ids']);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Kafka's own rule for topic names.
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** `2025-01-31` (UTC midnight) or a date-time with an explicit zone; anything else is refused. */
export function parseIsoTime(option: string, raw: string): Date {
  const match = ISO_TIME.exec(raw);
  const bad = () => new UsageError(`--${option} must be an ISO 8601 date or date-time with a zone (e.g. 2025-01-31 or 2025-01-31T12:00:00Z), got "${raw}"`);
  if (!match) {
    if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(raw)) {
      throw new UsageError(`--${option} "${raw}" has no time zone; add Z (UTC) or an offset such as +02:00`);
    }
    throw bad();
  }
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = match;
  const calendar = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (calendar.getUTCMonth() !== Number(mo) - 1 || calendar.getUTCDate() !== Number(d)) throw bad();
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw bad();
  // Milliseconds are the log's precision; extra fractional digits are cut, not rounded.
  const ms = fraction ? fraction.slice(0, 4).padEnd(4, '0') : '.000';
  const time = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${zone}`);
  if (Number.isNaN(time.getTime())) throw bad();
  return time;
}

function parseTypes(raw: string): EventType[] {
  const types: EventType[] = [];
  for (const name of raw
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)) {
    if (!isEventType(name)) {
      const known = Object.keys(EVENT_CATALOGUE);
      const suggestion = known.find((k) => k.toLowerCase() === name.toLowerCase());
      throw new UsageError(
        suggestion
          ? `unknown event type "${name}"; did you mean ${suggestion}?`
          : `unknown event type "${name}"; known types: ${known.filter((k) => EVENT_CATALOGUE[k as EventType].replayable).join(', ')}`,
      );
    }
    if (!EVENT_CATALOGUE[name].replayable) {
      throw new UsageError(`${name} is a delivery event and is never replayed (it carried a live credential, the log keeps it redacted)`);
    }
    types.push(name);
  }
  if (types.length === 0) throw new UsageError('--type needs at least one event type');
  return types;
}

function parseIds(raw: string, where: string): string[] {
  const ids: string[] = [];
  raw.split(/\r?\n/).forEach((line, index) => {
    const content = line.replace(/#.*$/, '');
    for (const token of content.split(/[\s,]+/).filter(Boolean)) {
      if (!UUID.test(token)) {
        const place = where === '--ids' ? '--ids' : `${where} line ${index + 1}`;
        throw new UsageError(`${place}: "${token}" is not an event id (a UUID)`);
      }
      ids.push(token.toLowerCase());
    }
  });
  return ids;
}

function positiveInteger(option: string, raw: string, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new UsageError(`--${option} must be an integer from 1 to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

/** Splits argv into the command and its options (`--name value`, `--name=value`, flags). */
function tokenize(args: string[]): { values: Map<string, string[]>; flags: Set<string>; positional: string[] } {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-h') {
      flags.add('help');
      continue;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if ((FLAG_OPTIONS as readonly string[]).includes(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
      continue;
    }
    if (!(VALUE_OPTIONS as readonly string[]).includes(name)) throw new UsageError(`unknown option ${arg.slice(0, eq === -1 ? undefined : eq)}`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1].startsWith('--')) value = args[++i];
    if (value === undefined || value.trim() === '') throw new UsageError(`--${name} needs a value`);
    const list = values.get(name) ?? [];
    if (list.length > 0 && !REPEATABLE.has(name)) throw new UsageError(`--${name} given more than once`);
    list.push(value.trim());
    values.set(name, list);
  }
  return { values, flags, positional };
}

/** Parses and validates `replay ...`; throws UsageError with a message meant for the operator. */
export function parseCommandLine(argv: string[], io: ParseIo): OpsCommand {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('missing command (commands: "replay", "reseal")');
  if (command === '--help' || command === '-h' || command === 'help') return { kind: 'help' };
  if (command !== 'replay') throw new UsageError(`unknown command "${command}" (commands: "replay", "reseal")`);

  const { values, flags, positional } = tokenize(rest);
  if (flags.has('help')) return { kind: 'help' };
  if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0]}"`);
  const one = (name: string) => values.get(name)?.[0];

  const options: ReplayOptions = {
    all: flags.has('all'),
    dryRun: flags.has('dry-run'),
    restart: flags.has('restart'),
    batchSize: DEFAULT_BATCH_SIZE,
  };
  const from = one('from');
  const to = one('to');
  if (from !== undefined) options.from = parseIsoTime('from', from);
  if (to !== undefined) options.to = parseIsoTime('to', to);
  if (options.from && options.to && options.from.getTime() >= options.to.getTime()) {
    throw new UsageError(`--from (${options.from.toISOString()}) must be before --to (${options.to.toISOString()})`);
  }
  const typeArgs = values.get('type');
  if (typeArgs) options.types = [...new Set(typeArgs.flatMap(parseTypes))].sort();
  if (one('org') !== undefined) options.orgId = one('org');
  if (one('user') !== undefined) options.userId = one('user');

  const idArgs = values.get('ids');
  const idsFile = one('ids-file');
  if (idArgs || idsFile !== undefined) {
    const ids = (idArgs ?? []).flatMap((raw) => parseIds(raw, '--ids'));
    if (idsFile !== undefined) {
      let content: string;
      try {
        content = io.readFile(idsFile);
      } catch (error) {
        throw new UsageError(`cannot read --ids-file ${idsFile}: ${(error as Error).message}`);
      }
      const fromFile = parseIds(content, idsFile);
      if (fromFile.length === 0) throw new UsageError(`--ids-file ${idsFile} holds no event ids`);
      ids.push(...fromFile);
    }
    const unique = [...new Set(ids)].sort();
    if (unique.length === 0) throw new UsageError('--ids needs at least one event id');
    if (unique.length > MAX_IDS) throw new UsageError(`too many ids (${unique.length}; at most ${MAX_IDS}): select by time range instead`);
    options.ids = unique;
  }

  const toTopic = one('to-topic');
  if (toTopic !== undefined) {
    if (!TOPIC.test(toTopic) || toTopic === '.' || toTopic === '..') {
      throw new UsageError(`--to-topic "${toTopic}" is not a valid Kafka topic name (letters, digits, . _ -; at most 249)`);
    }
    options.toTopic = toTopic;
  }
  const batchSize = one('batch-size');
  if (batchSize !== undefined) options.batchSize = positiveInteger('batch-size', batchSize, MAX_BATCH_SIZE);
  const clockSkew = one('clock-skew');
  if (clockSkew !== undefined) options.clockSkewMs = positiveInteger('clock-skew', clockSkew, MAX_CLOCK_SKEW_MS);
  const job = one('job');
  if (job !== undefined) {
    if (!JOB_NAME.test(job)) throw new UsageError(`--job "${job}" is not a valid job name (letters, digits, . _ : -; at most 100)`);
    options.job = job;
  }
  if (options.restart && !options.job) throw new UsageError('--restart needs --job <name> (the job to start over)');

  const selective = options.from || options.to || options.types || options.orgId || options.userId || options.ids;
  // Re-publishing the whole log to live topics is rarely intended; make the operator say so.
  if (!selective && !options.all) {
    throw new UsageError('no selection: give --from/--to, --type, --org, --user or --ids, or --all to replay the whole event log');
  }
  return { kind: 'replay', options };
}
