#!/usr/bin/env node
/**
 * Operator CLI: `node dist/apps/mfa-ops/src/main.js replay|reseal|redrive [options]` (`npm run ops -- ...`).
 * Plain TypeScript, no Nest: replay reads the event log and publishes to Kafka; reseal re-encrypts
 * stored factor secrets under the current key; redrive puts dead-lettered outbox events back.
 */
import { ConfigError } from '@mfa/common/config/app-config';
import { routeProcessWarnings } from '@mfa/common/logging/logger';
import { KafkaUnavailableError } from '@mfa/messaging';
import { readFileSync } from 'node:fs';
import { JobBusyError } from './replay/replay-job';
import { EXIT_FAILED, EXIT_INTERRUPTED, runReplayCommand } from './replay/replay-command';
import { parseCommandLine, UsageError, USAGE } from './replay/replay-options';
import { runRedriveCommand } from './redrive/redrive-command';
import { parseRedriveCommandLine, REDRIVE_USAGE } from './redrive/redrive-options';
import { runResealCommand } from './reseal/reseal-command';
import { parseResealCommandLine, RESEAL_USAGE } from './reseal/reseal-options';

const EXIT_USAGE = 2;

// kafkajs warns about its v2 partitioner on every start; we use the default on purpose
// (same partitioner as the service, so a key keeps its partition).
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
routeProcessWarnings((level, message, fields) => {
  if (level === 'warn') process.stderr.write(`warning: ${JSON.stringify({ message, ...fields })}\n`);
});

async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write(`\n${name} again: exiting now; the batch in flight may be re-sent on resume, which can start once the job's claim expires (30 s)\n`);
      process.exit(EXIT_INTERRUPTED);
    }
    process.stderr.write(`\n${name}: stopping after the current batch (again to exit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (argv[0] === 'reseal') {
      const reseal = parseResealCommandLine(argv.slice(1));
      if (reseal.kind === 'help') {
        process.stdout.write(RESEAL_USAGE);
        return 0;
      }
      const io = { argv, env: process.env, stdout: process.stdout, stderr: process.stderr, signal: controller.signal };
      return await runResealCommand(reseal.options, io);
    }
    if (argv[0] === 'redrive') {
      const redrive = parseRedriveCommandLine(argv.slice(1));
      if (redrive.kind === 'help') {
        process.stdout.write(REDRIVE_USAGE);
        return 0;
      }
      const io = { argv, env: process.env, stdout: process.stdout, stderr: process.stderr, signal: controller.signal };
      return await runRedriveCommand(redrive.options, io);
    }
    const command = parseCommandLine(argv, { readFile: (path) => readFileSync(path, 'utf8') });
    if (command.kind === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    return await runReplayCommand(command.options, {
      argv,
      env: process.env,
      stdout: process.stdout,
      stderr: process.stderr,
      signal: controller.signal,
    });
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`error: ${error.message}\nRun with --help for usage.\n`);
      return EXIT_USAGE;
    }
    if (error instanceof JobBusyError || error instanceof KafkaUnavailableError) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT_FAILED;
    }
    // Database and broker failures are operational, not bugs: their message is enough.
    const operational = error instanceof Error && error.name.startsWith('Mongo');
    process.stderr.write(`error: ${error instanceof Error ? (operational ? error.message : (error.stack ?? error.message)) : String(error)}\n`);
    return EXIT_FAILED;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Should a client library leave a handle open, do not hang the operator's terminal.
  setTimeout(() => process.exit(code), 2000).unref();
});
