import { ConfigError } from '@mfa/common/config/app-config';
import { readOpsEnv } from '../ops-env';
import { dryRunReport, generateJobName, resumeCommand, summaryLine } from './replay-report';
import type { ReplayOutcome, ReplayPlan } from './replayer';

const outcome: ReplayOutcome = {
  jobName: 'j',
  status: 'completed',
  published: 3000,
  byType: { OrgMfaEnforced: 1000, MfaReset: 2000 },
  topics: ['mfa.org-policy.v1', 'mfa.user-mfa.v1'],
  durationMs: 1500,
  job: { published: 3000, total: 3000, runs: 1 },
};

describe('replay report', () => {
  it('summarises a run in one line', () => {
    expect(summaryLine(outcome)).toBe(
      'replayed 3000 events (MfaReset 2000, OrgMfaEnforced 1000) to mfa.org-policy.v1, mfa.user-mfa.v1 in 1.5s (2000 events/s)',
    );
    expect(summaryLine({ ...outcome, published: 0, byType: {}, topics: [], durationMs: 0 })).toBe(
      'replayed 0 events (none) to (no topic) in 0.0s (0 events/s)',
    );
  });

  it('prints the dry-run counts by type and topic', () => {
    const plan = {
      request: { jobName: 'j', selection: {}, target: { topic: 'elsewhere' }, batchSize: 500, restart: false },
      position: null,
      cursor: { after: null, behind: [], unsent: [] },
      alreadyPublished: 10,
      counts: [
        { type: 'MfaReset', topic: 'mfa.user-mfa.v1', count: 2 },
        { type: 'OrgMfaEnforced', topic: 'mfa.org-policy.v1', count: 1 },
      ],
      remaining: 3,
      targetTopics: ['elsewhere'],
      resuming: true,
      alreadyCompleted: false,
    } satisfies ReplayPlan;
    const lines = dryRunReport(plan);
    expect(lines[1]).toMatch(/^ {2}MfaReset +mfa\.user-mfa\.v1 +2$/);
    expect(lines[lines.length - 1]).toBe('would replay 3 events (MfaReset 2, OrgMfaEnforced 1) to elsewhere (job j already published 10 events)');
  });

  it('prints how to resume: same options, the job name, never --restart', () => {
    expect(resumeCommand(['replay', '--org', "o'1", '--restart', '--job', 'old', '--all'], 'j-1')).toBe(
      `npm run ops -- replay --org 'o'\\''1' --all --job j-1`,
    );
    expect(resumeCommand(['replay', '--all', '--job=j-1'], 'j-1')).toBe('npm run ops -- replay --all --job j-1');
  });

  it('generates sortable job names', () => {
    expect(generateJobName(new Date('2025-01-31T12:34:56.789Z'), 'ab12')).toBe('replay-20250131T123456Z-ab12');
  });
});

describe('readOpsEnv', () => {
  it('needs MONGO_URL, and KAFKA_BROKERS only to publish', () => {
    expect(() => readOpsEnv({}, { needKafka: false })).toThrow(/MONGO_URL is required/);
    expect(() => readOpsEnv({ MONGO_URL: 'http://x' }, { needKafka: false })).toThrow(ConfigError);
    expect(() => readOpsEnv({ MONGO_URL: 'mongodb://h/db' }, { needKafka: true })).toThrow(/KAFKA_BROKERS is required/);
    expect(() => readOpsEnv({ MONGO_URL: 'mongodb://h/db', KAFKA_BROKERS: 'nohost' }, { needKafka: true })).toThrow(/host:port/);
    expect(readOpsEnv({ MONGO_URL: 'mongodb://h/db' }, { needKafka: false })).toMatchObject({
      mongoDbName: undefined,
      kafkaBrokers: [],
      kafkaClientId: 'mfa-ops',
      eventSource: 'mfa-service',
    });
    expect(() => readOpsEnv({ MONGO_URL: 'mongodb://h/db', MONGO_TIMEOUT_MS: 'soon' }, { needKafka: false })).toThrow(/MONGO_TIMEOUT_MS/);
  });
});
