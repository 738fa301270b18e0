import { withOpsDatabase } from '../ops-database';
import { readOpsEnv } from '../ops-env';
import type { CommandIo } from '../replay/replay-command';
import { EXIT_FAILED, EXIT_OK } from '../replay/replay-command';
import type { RedriveOptions } from './redrive-options';
import { DeadLetterRedriver } from './redriver';

/** `redrive`: list (dry run) or put dead letters back into their outboxes. Returns the exit code. */
export async function runRedriveCommand(options: RedriveOptions, io: CommandIo): Promise<number> {
  const env = readOpsEnv(io.env, { needKafka: false });
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const err = (line: string) => io.stderr.write(`${line}\n`);
  return withOpsDatabase(env, err, async (db) => {
    const redriver = new DeadLetterRedriver(db);
    const letters = await redriver.list(options.ids);
    const found = new Set(letters.map((l) => l._id));
    const unknown = (options.ids ?? []).filter((id) => !found.has(id));
    // What an operator needs to decide, never the event's data (it may hold a sealed credential).
    for (const l of letters)
      out(`${l._id} ${l.event.type} ${l.collection}/${l.event.key} sequence ${l.event.sequence}, ${l.attempts ?? 1} attempts: ${l.reason}`);
    if (unknown.length > 0) out(`not in outbox_dead_letters: ${unknown.join(', ')}`);
    if (options.dryRun) {
      out(`dry run: ${letters.length} dead letters would be re-driven; nothing changed`);
      return unknown.length > 0 ? EXIT_FAILED : EXIT_OK;
    }
    const failed: string[] = [];
    for (const letter of letters) {
      if (io.signal.aborted) break;
      const result = await redriver.redrive(letter);
      if (result !== 'redriven')
        failed.push(`${letter._id} (${result === 'busy' ? 'its outbox is being published: run again' : 'its aggregate no longer exists'})`);
    }
    out(`${letters.length - failed.length} re-driven into their outboxes; the relay publishes them`);
    if (failed.length > 0) out(`not re-driven: ${failed.join(', ')}`);
    return failed.length > 0 || unknown.length > 0 || io.signal.aborted ? EXIT_FAILED : EXIT_OK;
  });
}
