import { KafkaClient } from '@mfa/messaging';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { EXIT_FAILED, withOpsDatabase } from '../ops-database';
import { readOpsEnv } from '../ops-env';
import { createProgress, ProgressStream } from '../progress';
import { JobBusyError } from './replay-job';
import { ReplayOptions, UsageError } from './replay-options';
import { dryRunReport, generateJobName, resumeCommand, summaryLine } from './replay-report';
import { describeSelection, selectionOf } from './replay-selection';
import { Replayer, ReplayPlan, ReplayRequest } from './replayer';

export interface CommandIo {
  argv: string[];
  env: Record<string, string | undefined>;
  stdout: { write(chunk: string): boolean };
  stderr: ProgressStream;
  signal: AbortSignal;
}

export const EXIT_OK = 0;
export { EXIT_FAILED };
export const EXIT_INTERRUPTED = 130;

/** `replay`: plan (read-only), then either print the counts (dry run) or publish. Returns the exit code. */
export async function runReplayCommand(options: ReplayOptions, io: CommandIo): Promise<number> {
  const env = readOpsEnv(io.env, { needKafka: !options.dryRun });
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const err = (line: string) => io.stderr.write(`${line}\n`);
  const jobName = options.job ?? generateJobName(new Date(), randomBytes(2).toString('hex'));
  const request: ReplayRequest = {
    jobName,
    selection: selectionOf(options),
    target: { topic: options.toTopic ?? null },
    batchSize: options.batchSize,
    restart: options.restart,
  };

  return withOpsDatabase(env, err, async (db) => {
    let kafka: KafkaClient | null = null;
    try {
      const replayer = new Replayer(db, { source: env.eventSource, clockSkewMs: options.clockSkewMs });
      // Only the dry run counts (a scan of the selection); a run reports what it published.
      const plan = await replayer.plan(request, { count: options.dryRun });

      if (options.dryRun) {
        for (const line of dryRunReport(plan)) out(line);
        return EXIT_OK;
      }
      if (plan.alreadyCompleted) {
        out(`job ${jobName} already completed (${plan.alreadyPublished} events); nothing to do. Add --restart to replay its selection again.`);
        return EXIT_OK;
      }
      if (io.signal.aborted) {
        err('interrupted before publishing anything');
        return EXIT_INTERRUPTED;
      }

      const target = options.toTopic ?? 'the original topics';
      err(
        plan.resuming
          ? `job ${jobName}: resuming after ${plan.alreadyPublished} published events (${describeSelection(request.selection)}) to ${target}`
          : `job ${jobName}: replaying ${describeSelection(request.selection)} to ${target}`,
      );
      if (!options.job) err(`(to resume this job if it is interrupted: --job ${jobName})`);

      const logger = pino({ level: env.logLevel, base: { service: 'mfa-ops' } }, pino.destination({ dest: 2, sync: true }));
      kafka = new KafkaClient({
        brokers: env.kafkaBrokers,
        clientId: env.kafkaClientId,
        connectTimeoutMs: env.kafkaConnectTimeoutMs,
        logger,
        security: env.kafkaSecurity,
        createTopics: env.createTopics,
      });
      // Creates a missing target topic (e.g. a fresh --to-topic) with no time-based retention:
      // replayed records keep their original timestamps, which a 7-day retention would delete
      // at the broker's next check. Existing topics are left as they are, with a warning.
      const created = await kafka.start(
        plan.targetTopics.map((topic) => ({
          topic,
          numPartitions: env.topicPartitions,
          replicationFactor: env.topicReplicationFactor,
          configEntries: [{ name: 'retention.ms', value: '-1' }],
        })),
      );
      for (const topic of created) {
        err(`created topic ${topic} (${env.topicPartitions} partitions, retention.ms=-1: replayed records keep their original timestamps)`);
      }
      for (const line of await retentionWarnings(kafka, replayer, plan, created)) err(line);

      const progress = createProgress(io.stderr, { label: 'replay' });
      let outcome;
      try {
        outcome = await replayer.run(plan, kafka, { signal: io.signal, progress });
      } catch (error) {
        if (error instanceof JobBusyError || error instanceof UsageError) throw error;
        err(`error: replay failed: ${(error as Error).message}`);
        err(`the job keeps its last checkpoint; resume with: ${resumeCommand(io.argv, jobName)}`);
        return EXIT_FAILED;
      }
      out(summaryLine(outcome));
      if (outcome.status === 'interrupted') {
        err(`interrupted: job ${jobName} checkpointed after ${outcome.job.published} events`);
        err(`resume with: ${resumeCommand(io.argv, jobName)}`);
        return EXIT_INTERRUPTED;
      }
      if (outcome.job.runs > 1) out(`job ${jobName} completed: ${outcome.job.published} events in ${outcome.job.runs} runs`);
      return EXIT_OK;
    } finally {
      await kafka?.stop().catch(() => undefined);
    }
  });
}

/**
 * Existing target topics whose time-based retention is shorter than the age of the oldest
 * event going there: the broker deletes such records at its next retention check, so a
 * consumer that is not already reading may never see them.
 */
async function retentionWarnings(kafka: KafkaClient, replayer: Replayer, plan: ReplayPlan, created: string[]): Promise<string[]> {
  const existing = plan.targetTopics.filter((topic) => !created.includes(topic));
  const retention = await kafka.retentionMs(existing);
  const warnings: string[] = [];
  for (const topic of existing) {
    const retentionMs = retention.get(topic);
    if (retentionMs === undefined || retentionMs < 0) continue;
    const oldest = await replayer.oldestRemaining(plan, plan.request.target.topic ? undefined : topic);
    if (!oldest || Date.now() - oldest.getTime() <= retentionMs) continue;
    warnings.push(
      `warning: ${topic} has retention.ms=${retentionMs} (${formatDuration(retentionMs)}) but the oldest event going there is from ${oldest.toISOString()}; ` +
        `replayed records keep their original timestamps, so the broker deletes the older ones at its next retention check. ` +
        `Consume them promptly, raise the topic's retention.ms, or replay to a fresh --to-topic (created with retention.ms=-1).`,
    );
  }
  return warnings;
}

function formatDuration(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 48 ? `${Math.round(hours / 24)} days` : hours >= 1 ? `${Math.round(hours)} hours` : `${Math.round(ms / 60_000)} minutes`;
}
