import { ConfigError } from '@mfa/common/config/app-config';
import { KafkaClient } from '@mfa/messaging';
import { MongoClient } from 'mongodb';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { readOpsEnv } from '../ops-env';
import { createProgress, ProgressStream } from '../progress';
import { JobBusyError } from './replay-job';
import { ReplayOptions, UsageError } from './replay-options';
import { dryRunReport, generateJobName, resumeCommand, summaryLine } from './replay-report';
import { describeSelection, selectionOf } from './replay-selection';
import { EventPublisher, Replayer, ReplayRequest } from './replayer';

export interface CommandIo {
  argv: string[];
  env: Record<string, string | undefined>;
  stdout: { write(chunk: string): boolean };
  stderr: ProgressStream;
  signal: AbortSignal;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INTERRUPTED = 130;

/** Never print a password that may be in a connection string. */
const redactUrl = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');

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

  let mongo: MongoClient;
  try {
    mongo = new MongoClient(env.mongoUrl, { serverSelectionTimeoutMS: env.mongoTimeoutMs, appName: 'mfa-ops' });
  } catch (error) {
    const reason = (error as Error).message.split(env.mongoUrl).join(redactUrl(env.mongoUrl));
    throw new ConfigError('MONGO_URL', `is not a valid connection string: ${reason}`);
  }
  let kafka: KafkaClient | null = null;
  try {
    try {
      await mongo.connect();
    } catch (error) {
      err(`error: cannot reach MongoDB at ${redactUrl(env.mongoUrl)}: ${(error as Error).message}`);
      return EXIT_FAILED;
    }
    const replayer = new Replayer(mongo.db(env.mongoDbName), { source: env.eventSource });
    const plan = await replayer.plan(request);

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
        ? `job ${jobName}: resuming after ${plan.alreadyPublished} published events; ${plan.remaining} left (${describeSelection(request.selection)}) to ${target}`
        : `job ${jobName}: replaying ${plan.remaining} events (${describeSelection(request.selection)}) to ${target}`,
    );
    if (!options.job) err(`(to resume this job if it is interrupted: --job ${jobName})`);

    let publisher: EventPublisher = {
      send: async () => {
        throw new Error('no Kafka connection (nothing was left to publish when the run started)');
      },
    };
    if (plan.remaining > 0) {
      const logger = pino({ level: env.logLevel, base: { service: 'mfa-ops' } }, pino.destination({ dest: 2, sync: true }));
      kafka = new KafkaClient({
        brokers: env.kafkaBrokers,
        clientId: env.kafkaClientId,
        connectTimeoutMs: env.kafkaConnectTimeoutMs,
        logger,
      });
      // Creates a missing target topic (e.g. a fresh --to-topic); existing topics are left as they are.
      await kafka.start(
        plan.targetTopics.map((topic) => ({ topic, numPartitions: env.topicPartitions, replicationFactor: env.topicReplicationFactor })),
      );
      publisher = kafka;
    }

    const progress = createProgress(io.stderr, { label: 'replay' });
    let outcome;
    try {
      outcome = await replayer.run(plan, publisher, { signal: io.signal, progress });
    } catch (error) {
      if (error instanceof JobBusyError || error instanceof UsageError) throw error;
      err(`error: replay failed: ${(error as Error).message}`);
      err(`the job keeps its last checkpoint; resume with: ${resumeCommand(io.argv, jobName)}`);
      return EXIT_FAILED;
    }
    out(summaryLine(outcome));
    if (outcome.status === 'interrupted') {
      err(`interrupted: job ${jobName} checkpointed at ${outcome.job.published}/${outcome.job.total} events`);
      err(`resume with: ${resumeCommand(io.argv, jobName)}`);
      return EXIT_INTERRUPTED;
    }
    if (outcome.job.runs > 1) out(`job ${jobName} completed: ${outcome.job.published} events in ${outcome.job.runs} runs`);
    return EXIT_OK;
  } finally {
    await kafka?.stop().catch(() => undefined);
    await mongo.close().catch(() => undefined);
  }
}
