import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { AppError } from '@mfa/common';
import { CommandMeta, ConcurrencyConflict, isDuplicateKey, KeyedQueue } from '@mfa/persistence';
import type { Decision } from '@mfa/common/domain/decision';
import type { Collection, Document, Filter } from 'mongodb';
import type { Connection } from 'mongoose';
import type { CompliancePolicy } from '../../membership/compliance.reader';
import type { MfaMethod } from '../../user-mfa/domain/mfa-method';
import { activeExemption, Exemption, ExemptionChange, OrgPolicyState, pendingExemptionChange } from '../domain/org-policy';
import { exemptionKey, FAR_FUTURE, ORG_EXEMPTIONS_COLLECTION, OrgExemptionDocument, storedExemption, storedExemptions } from './org-exemption.document';
import { exemptionChangeKey, ORG_POLICY_COLLECTION, OrgPolicyDocument } from './org-policy.document';
import { OrgPolicyRepository } from './org-policy.repository';

/** Decides one exemption change from the policy, the member's current exemption and the version the write will give the policy. */
type ExemptionDecider = (state: OrgPolicyState | null, current: Exemption | null, revision: number) => Decision<OrgPolicyState>;

const MAX_ATTEMPTS = 10;
/** Exempt user ids per compliance count query (an `$in` list). */
const COUNT_BATCH = 5_000;

/**
 * Exemptions live in their own collection, one document per member; their events belong to the
 * org's stream (per-org `sequence`), so the policy document stays the one place a change commits.
 *
 * A change is two writes, in this order, neither needing a transaction:
 * 1. the policy write (version-guarded, as every aggregate write): the event in the outbox and the
 *    change itself in `exemptionChanges` (the latest per member, tagged with the version it gives);
 * 2. the change applied to `org_exemptions` (only over an older revision), then removed from the
 *    policy document (only if it is still that revision).
 * A crash after 1 loses nothing: the change is committed with its event, readers look at pending
 * changes before the collection, and the next exemption change or read of the org's members applies
 * it (settle). A crash before 1 wrote nothing, so no event exists for a change that did not happen.
 */
@Injectable()
export class OrgExemptions {
  private readonly exemptions: Collection<OrgExemptionDocument>;
  private readonly policies: Collection<OrgPolicyDocument>;
  /** Changes to one org through this process run one after another (as the store's own commands do): no self-inflicted conflicts. */
  private readonly queue = new KeyedQueue();

  constructor(
    @InjectConnection() connection: Connection,
    private readonly orgs: OrgPolicyRepository,
  ) {
    this.exemptions = connection.db!.collection<OrgExemptionDocument>(ORG_EXEMPTIONS_COLLECTION);
    this.policies = connection.db!.collection<OrgPolicyDocument>(ORG_POLICY_COLLECTION);
  }

  /** The member's exemption as of `state`: their pending change, else the stored document. */
  async current(state: OrgPolicyState | null, orgId: string, userId: string): Promise<Exemption | null> {
    const pending = pendingExemptionChange(state, userId);
    return pending ? pending.exemption : storedExemption(this.exemptions, orgId, userId);
  }

  /** The exemptions of some members (one `_id` `$in` read), pending changes first. */
  async ofMembers(state: OrgPolicyState, userIds: string[]): Promise<Map<string, Exemption | null>> {
    const pending = new Map(userIds.map((userId) => [userId, pendingExemptionChange(state, userId)]));
    const stored = await storedExemptions(
      this.exemptions,
      state.orgId,
      userIds.filter((userId) => !pending.get(userId)),
    );
    // A pending revoke (`exemption: null`) wins over the stored exemption it is about to remove.
    return new Map(
      userIds.map((userId) => {
        const change = pending.get(userId);
        return [userId, change ? change.exemption : (stored.get(userId) ?? null)];
      }),
    );
  }

  /**
   * Loads the policy and the member's exemption, decides, commits the policy write (retrying on a
   * concurrent one), then applies the change. `revision` is the version the write gives the policy.
   */
  change(orgId: string, userId: string, decide: ExemptionDecider, meta: CommandMeta, now: Date): Promise<void> {
    return this.queue.run(orgId, () => this.decideAndCommit(orgId, userId, decide, meta, now));
  }

  private async decideAndCommit(orgId: string, userId: string, decide: ExemptionDecider, meta: CommandMeta, now: Date): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.orgs.load(orgId);
      const decision = decide(loaded.state, await this.current(loaded.state, orgId, userId), loaded.version + 1);
      if (decision.events.length === 0 && !decision.changed) {
        if (loaded.state) await this.apply(orgId, loaded.state.exemptionChanges);
        return;
      }
      try {
        await this.orgs.commit(orgId, loaded, decision, meta, now);
      } catch (error) {
        if (!(error instanceof ConcurrencyConflict)) throw error;
        if (attempt >= MAX_ATTEMPTS) throw new AppError('conflict', 'CONCURRENT_MODIFICATION', 'The resource was modified concurrently, retry the request');
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));
        continue;
      }
      // Committed: from here the change stands whatever happens; what is not applied now, settle applies later.
      await this.apply(orgId, decision.state.exemptionChanges).catch(() => undefined);
      return;
    }
  }

  /** Applies the org's pending changes, if any (before reading the collection for many members). */
  async settle(orgId: string): Promise<void> {
    const doc = await this.policies.findOne({ _id: orgId }, { projection: { exemptionChanges: 1 } });
    const changes = Object.values(doc?.exemptionChanges ?? {});
    if (changes.length > 0) await this.apply(orgId, changes);
  }

  /** Writes each change to the collection unless a newer one is there, then drops it from the policy document. */
  async apply(orgId: string, changes: ExemptionChange[]): Promise<void> {
    const appliedAt = new Date();
    for (const change of changes) {
      const _id = exemptionKey(orgId, change.userId);
      const set: Partial<OrgExemptionDocument> = change.exemption
        ? {
            orgId,
            userId: change.userId,
            reason: change.exemption.reason,
            expiresAt: change.exemption.expiresAt,
            grantedBy: change.exemption.grantedBy,
            grantedAt: change.exemption.grantedAt,
            revision: change.revision,
            activeUntil: change.exemption.expiresAt ?? FAR_FUTURE,
          }
        : // Revoked: a tombstone that stops counting now and expires with the other expired exemptions.
          { orgId, userId: change.userId, revision: change.revision, revokedAt: appliedAt, activeUntil: appliedAt };
      try {
        await this.exemptions.updateOne(
          { _id, revision: { $lt: change.revision } } as Filter<OrgExemptionDocument>,
          { $set: set, ...(change.exemption ? { $unset: { revokedAt: '' } } : {}) },
          { upsert: true },
        );
      } catch (error) {
        // The document holds this revision or a newer one already.
        if (!isDuplicateKey(error)) throw error;
      }
      const field = `exemptionChanges.${exemptionChangeKey(change.userId)}`;
      await this.policies.updateOne(
        { _id: orgId, [`${field}.revision`]: change.revision } as Filter<OrgPolicyDocument>,
        { $unset: { [field]: '' } } as Document,
      );
    }
  }

  /** The compliance reader's view of the org's exemptions at `now` (pending changes applied first). */
  async forCompliance(orgId: string, allowedMethods: MfaMethod[], now: Date): Promise<CompliancePolicy> {
    await this.settle(orgId);
    return {
      allowedMethods,
      exemptUserIds: () => this.activeUserIds(orgId, now),
      exemptionsOf: async (userIds) => {
        const found = await storedExemptions(this.exemptions, orgId, userIds);
        const inForce = new Map<string, Date | null>();
        for (const userId of userIds) {
          const exemption = activeExemption(found.get(userId) ?? null, now);
          if (exemption) inForce.set(userId, exemption.expiresAt);
        }
        return inForce;
      },
    };
  }

  /** How many exemptions of the org are in force at `now`. */
  countActive(orgId: string, now: Date): Promise<number> {
    return this.exemptions.countDocuments({ orgId, activeUntil: { $gt: now } });
  }

  /** The user ids of the org's exemptions in force at `now`, in `userId` pages (never all at once, no long-lived cursor). */
  async *activeUserIds(orgId: string, now: Date): AsyncGenerator<string[]> {
    for (let after: string | undefined; ; ) {
      const page = await this.exemptions
        .find(
          { orgId, ...(after !== undefined ? { userId: { $gt: after } } : {}), activeUntil: { $gt: now } },
          { projection: { userId: 1 }, sort: { userId: 1 }, limit: COUNT_BATCH },
        )
        .toArray();
      if (page.length > 0) yield page.map((doc) => doc.userId);
      if (page.length < COUNT_BATCH) return;
      after = page[page.length - 1].userId;
    }
  }
}
