import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { APP_CONFIG, AppConfig, CLOCK, Clock } from '@mfa/common';
import { insertMissing, MAINTENANCE_TIMEOUT } from '@mfa/persistence';
import type { Collection } from 'mongodb';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../infra/root-logger';
import { dueNotices, enforcementJobId, NoticeKind } from '../domain/enforcement-lifecycle';
import { ORG_POLICY_COLLECTION, OrgPolicyDocument } from '../infra/org-policy.document';
import { ENFORCEMENT_JOBS_COLLECTION, EnforcementJobDocument } from './enforcement-job.document';
import { EnforcementJobRunner, JobOutcome } from './enforcement-job.runner';

export type RunSummary = Array<{ jobId: string; outcome: JobOutcome }>;

const POLICY_BATCH = 200;
// A finished fan-out can make its deadline job due in the same pass (grace period 0).
const MAX_ROUNDS = 3;

/**
 * Drives the enforcement lifecycle: creates the jobs the org policies call for at the injected
 * clock's `now` (fan-out for each enforcement, deadline job once the deadline passed and the
 * fan-out finished) and runs every unleased unfinished job. Runs right after an enforcement,
 * at start-up (resuming what a crashed or stopped instance left), every
 * MFA_SCHEDULER_INTERVAL_MS, and on demand (`runDue()`, used by tests). Passes in one process are
 * serialised; across instances the job leases and the creation by deterministic id keep it once-only.
 */
@Injectable()
export class EnforcementScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: Logger;
  private readonly jobs: Collection<EnforcementJobDocument>;
  private readonly policies: Collection<OrgPolicyDocument>;
  private timer?: NodeJS.Timeout;
  private chain: Promise<unknown> = Promise.resolve();
  private queued: Promise<RunSummary> | null = null;
  private stopped = false;
  /** Jobs this process is running (targeted runs and passes share it). */
  private readonly running = new Set<string>();
  private readonly inFlight = new Set<Promise<JobOutcome>>();

  constructor(
    @InjectConnection() connection: Connection,
    private readonly runner: EnforcementJobRunner,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'enforcement-scheduler' });
    this.jobs = connection.db!.collection<EnforcementJobDocument>(ENFORCEMENT_JOBS_COLLECTION);
    this.policies = connection.db!.collection<OrgPolicyDocument>(ORG_POLICY_COLLECTION);
  }

  onApplicationBootstrap(): void {
    const interval = this.config.enforcement.schedulerIntervalMs;
    if (interval > 0) {
      this.timer = setInterval(() => this.kick(), interval);
      this.timer.unref();
    }
    this.kick();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.runner.stop();
    await Promise.all([this.chain, ...[...this.inFlight].map((run) => run.catch(() => undefined))]);
  }

  /**
   * An enforcement change was committed: create its fan-out job and run just that job in the
   * background (not a full pass: scanning every policy after every enforcement would make each
   * command pay for all orgs). With a deadline already passed (grace period 0), a pass follows
   * so the deadline job is created once the fan-out is done.
   */
  async enforcementChanged(orgId: string, revision: number, cause: { correlationId: string; causationId: string }, deadline: Date | null): Promise<void> {
    const jobId = enforcementJobId('setup-required', orgId, revision);
    await this.create([{ kind: 'setup-required', orgId, revision, ...cause }]);
    if (this.stopped) return;
    this.runOne(jobId)
      .then((outcome) => {
        if (outcome === 'done' && deadline !== null && deadline.getTime() <= this.clock.now().getTime()) this.kick();
      })
      .catch((error: unknown) =>
        this.log.warn({ jobId, errorType: (error as Error)?.name, error: (error as Error)?.message }, 'fan-out failed; retried on the next pass'),
      );
  }

  /** Runs one job unless this process is already running it (the lease lets its owner re-claim). */
  private async runOne(jobId: string): Promise<JobOutcome> {
    if (this.running.has(jobId)) return 'busy';
    this.running.add(jobId);
    const run = this.runner.run(jobId);
    this.inFlight.add(run);
    try {
      return await run;
    } finally {
      this.running.delete(jobId);
      this.inFlight.delete(run);
    }
  }

  /** Starts a pass in the background (failures are logged; the next pass retries). */
  kick(): void {
    if (this.stopped) return;
    this.runDue().catch((error: unknown) =>
      this.log.warn({ errorType: (error as Error)?.name, error: (error as Error)?.message }, 'enforcement pass failed; retried on the next one'),
    );
  }

  /** One full pass (after any pass in progress): create what is due, run what is unfinished. */
  runDue(): Promise<RunSummary> {
    if (this.queued) return this.queued;
    const next = this.chain.then(() => {
      this.queued = null;
      return this.pass();
    });
    this.queued = next;
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async pass(): Promise<RunSummary> {
    const summary: RunSummary = [];
    for (let round = 0; round < MAX_ROUNDS && !this.stopped; round++) {
      await this.createDueJobs(this.clock.now());
      const now = new Date();
      const runnable = await this.jobs
        .find(
          { status: 'running', $or: [{ leaseUntil: { $exists: false } }, { leaseUntil: { $lt: now } }] },
          { projection: { _id: 1 }, sort: { createdAt: 1 }, ...MAINTENANCE_TIMEOUT },
        )
        .toArray();
      let finished = 0;
      for (const { _id } of runnable) {
        if (this.stopped) break;
        const outcome = await this.runOne(_id);
        summary.push({ jobId: _id, outcome });
        if (outcome === 'done' || outcome === 'superseded') finished += 1;
      }
      if (finished === 0) break;
    }
    return summary;
  }

  /** Jobs the enforced orgs' policies call for and that do not exist yet (deadline jobs after their fan-out). */
  private async createDueJobs(now: Date): Promise<void> {
    // Pages by _id, no cursor held open across the inserts (see EnforcementJobRunner.process).
    for (let after = ''; ; ) {
      const page = await this.policies
        .find(
          { enforced: true, _id: { $gt: after } },
          { projection: { enforced: 1, enforcementRevision: 1, enforcementDeadline: 1 }, sort: { _id: 1 }, limit: POLICY_BATCH, ...MAINTENANCE_TIMEOUT },
        )
        .toArray();
      const wanted = page.flatMap((policy) =>
        dueNotices({ enforced: policy.enforced, enforcementDeadline: policy.enforcementDeadline ?? null }, now).map((kind) => ({
          kind,
          orgId: policy._id,
          revision: policy.enforcementRevision ?? 0,
        })),
      );
      if (wanted.length > 0) {
        const ids = wanted.map((w) => enforcementJobId(w.kind, w.orgId, w.revision));
        const existing = new Map((await this.jobs.find({ _id: { $in: ids } }, { projection: { status: 1 } }).toArray()).map((job) => [job._id, job.status]));
        const fanOutFinished = (orgId: string, revision: number) => {
          const status = existing.get(enforcementJobId('setup-required', orgId, revision));
          return status !== undefined && status !== 'running';
        };
        await this.create(
          wanted
            .filter((w) => !existing.has(enforcementJobId(w.kind, w.orgId, w.revision)))
            .filter((w) => w.kind === 'setup-required' || fanOutFinished(w.orgId, w.revision))
            .map((w) => {
              const id = enforcementJobId(w.kind, w.orgId, w.revision);
              return { ...w, correlationId: id, causationId: id };
            }),
        );
      }
      if (page.length < POLICY_BATCH) return;
      after = page[page.length - 1]._id;
    }
  }

  private async create(jobs: Array<{ kind: NoticeKind; orgId: string; revision: number; correlationId: string; causationId: string }>): Promise<void> {
    if (jobs.length === 0) return;
    const now = new Date();
    const docs: EnforcementJobDocument[] = jobs.map((job) => ({
      _id: enforcementJobId(job.kind, job.orgId, job.revision),
      ...job,
      status: 'running',
      cursor: null,
      scanned: 0,
      notified: 0,
      createdAt: now,
      updatedAt: now,
    }));
    // Some may exist already (created by another instance, an earlier pass or the enforcing request).
    await insertMissing(this.jobs, docs);
  }
}
