import type { ReplayOutcome, ReplayPlan } from './replayer';

/** Texts the operator reads: pure, so their format is unit-tested. */

function byTypeText(byType: Record<string, number>): string {
  const entries = Object.entries(byType).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries.length ? entries.map(([type, n]) => `${type} ${n}`).join(', ') : 'none';
}

function topicsText(topics: string[]): string {
  return topics.length ? topics.join(', ') : '(no topic)';
}

const plural = (n: number) => `${n} event${n === 1 ? '' : 's'}`;

export function summaryLine(outcome: ReplayOutcome): string {
  const seconds = outcome.durationMs / 1000;
  const rate = seconds > 0 ? Math.round(outcome.published / seconds) : outcome.published;
  return `replayed ${plural(outcome.published)} (${byTypeText(outcome.byType)}) to ${topicsText(outcome.topics)} in ${seconds.toFixed(1)}s (${rate} events/s)`;
}

/** The dry run's table; needs a counted plan. */
export function dryRunReport(plan: ReplayPlan): string[] {
  const counts = plan.counts ?? [];
  const byType: Record<string, number> = {};
  for (const c of counts) byType[c.type] = (byType[c.type] ?? 0) + c.count;
  const lines: string[] = [];
  if (counts.length > 0) {
    const typeWidth = Math.max(4, ...counts.map((c) => c.type.length));
    const topicWidth = Math.max(14, ...counts.map((c) => c.topic.length));
    lines.push(`  ${'type'.padEnd(typeWidth)}  ${'original topic'.padEnd(topicWidth)}  events`);
    for (const c of counts) lines.push(`  ${c.type.padEnd(typeWidth)}  ${c.topic.padEnd(topicWidth)}  ${String(c.count).padStart(6)}`);
  }
  const resumed = plan.alreadyPublished > 0 ? ` (job ${plan.request.jobName} already published ${plural(plan.alreadyPublished)})` : '';
  lines.push(`would replay ${plural(plan.remaining ?? 0)} (${byTypeText(byType)}) to ${topicsText(plan.targetTopics)}${resumed}`);
  return lines;
}

/** Minimal POSIX shell quoting for the resume command we print. */
function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The same command line with `--job <name>` and without `--restart`: how to resume. */
export function resumeCommand(argv: string[], jobName: string): string {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--restart') continue;
    if (arg === '--job') {
      i += 1;
      continue;
    }
    if (arg.startsWith('--job=')) continue;
    args.push(arg);
  }
  args.push('--job', jobName);
  return `npm run ops -- ${args.map(shellQuote).join(' ')}`;
}

export function generateJobName(now: Date, random: string): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `replay-${stamp}-${random}`;
}
