import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { CommandMeta, GuardedWrite, guardedWrite, isDuplicateKeyOnly, stampEvents, TopicSequences } from '@mfa/persistence';
import { type AnyBulkWriteOperation, type Collection, type Document, MongoBulkWriteError } from 'mongodb';
import type { Connection } from 'mongoose';
import { OutboxRelay } from '../../outbox/outbox-relay';
import type { MfaMethod } from '../../user-mfa/domain/mfa-method';
import { USER_MFA_COLLECTION } from '../../user-mfa/infra/user-mfa.document';
import { decideNotice, MemberMfa, NoticeKind } from '../domain/enforcement-lifecycle';
import type { OrgPolicyState } from '../domain/org-policy';
import { OrgExemptions } from '../infra/org-exemptions';

/** The fields of a user_mfa document the notices read; `enforcementNotices` is written only here. */
interface NoticeView {
  _id: string;
  enabledMethods?: MfaMethod[];
  enforcementNotices?: string[];
  version?: number;
  lastSequence?: number;
  topicSequences?: TopicSequences;
}

const MAX_ATTEMPTS = 10;

/**
 * Appends enforcement notices to the members' own UserMfa aggregates, a batch at a time.
 *
 * Why the user aggregate and not a separate stream: the events are keyed by userId on
 * mfa.user-mfa.v1, where `sequence` must increase strictly per user (docs/events.md). Each
 * notice therefore takes the user's next sequence, written as the aggregate store does —
 * `version + 1` with a version guard, the event pushed onto the document's outbox — together
 * with the marker (`enforcementNotices`) that makes it once-only. The relay publishes it in
 * order with the user's other events. One read per batch, then one `update` command holding a
 * conditional statement per member to notify (no per-member load and decide); a member whose
 * document changed in between (e.g. just enabled a method) is read and decided again.
 */
@Injectable()
export class MemberNoticeWriter {
  private readonly users: Collection;

  constructor(
    @InjectConnection() connection: Connection,
    private readonly relay: OutboxRelay,
    private readonly exemptions: OrgExemptions,
  ) {
    this.users = connection.db!.collection(USER_MFA_COLLECTION);
  }

  /** Notifies those of `userIds` the rules say must be told now; returns how many were. */
  async notify(kind: NoticeKind, policy: OrgPolicyState, userIds: string[], meta: CommandMeta, now: Date): Promise<number> {
    let pending = userIds;
    let written = 0;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const byId = await this.read(pending);
      const member = (userId: string, exemption: MemberMfa['exemption']): MemberMfa => {
        const doc = byId.get(userId);
        return { userId, enabledMethods: doc?.enabledMethods ?? [], notices: doc?.enforcementNotices ?? [], exemption };
      };
      // An exemption can only spare a member a notice: it is read (by `_id`, one `$in` read) only for
      // those the rules would tell without one.
      const candidates = pending.filter((userId) => decideNotice(kind, policy, member(userId, null), now) !== null);
      const exemptions = await this.exemptions.ofMembers(policy, candidates);
      const operations: GuardedWrite[] = [];
      const targets: string[] = [];
      for (const userId of candidates) {
        const doc = byId.get(userId);
        const decision = decideNotice(kind, policy, member(userId, exemptions.get(userId) ?? null), now);
        if (!decision) continue;
        // A document without `version` (pre-created by membership) or none at all is created here.
        const read = { version: doc?.version ?? 0, lastSequence: doc?.lastSequence ?? 0, topicSequences: doc?.version ? doc.topicSequences : {} };
        const events = stampEvents('user', userId, [decision.event], read, meta, now);
        targets.push(userId);
        operations.push(guardedWrite(userId, read, { enforcementNotices: decision.notices }, events, now));
      }
      if (operations.length === 0) break;
      // Each notice is one event; the relay's markers go first (as for every commit, see PendingOutboxes).
      await this.relay.markPending(
        USER_MFA_COLLECTION,
        targets.map((id) => ({ id, events: 1 })),
        now,
      );
      const applied = await this.writeAll(operations);
      // The touch after the writes (see PendingOutboxes); they are committed whatever it does.
      await this.relay
        .markPending(
          USER_MFA_COLLECTION,
          targets.map((id) => ({ id, events: 0 })),
          now,
        )
        .catch(() => undefined);
      written += applied;
      for (const userId of targets) this.relay.wake(USER_MFA_COLLECTION, userId);
      if (applied === operations.length) break;
      if (attempt >= MAX_ATTEMPTS) throw new Error(`enforcement notices: members kept changing (${operations.length - applied} left)`);
      // Someone wrote some of these documents in between: decide again for them on fresh state.
      pending = targets;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));
    }
    return written;
  }

  /** The members' documents in one indexed read (`_id` `$in`, at most a batch of them). */
  private async read(userIds: string[]): Promise<Map<string, NoticeView>> {
    const docs = await this.users
      .find<NoticeView>({ _id: { $in: userIds } } as Document, {
        projection: { enabledMethods: 1, enforcementNotices: 1, version: 1, lastSequence: 1, topicSequences: 1 },
      })
      .toArray();
    return new Map(docs.map((doc) => [doc._id, doc]));
  }

  /**
   * The batch's single-document conditional updates, sent as one unordered `update` command:
   * each statement is still a compare-and-set by `_id` (an index hit), but a batch of 200
   * members costs one round trip and one command instead of 200. A statement that matches
   * nothing (the member's document moved) or an upsert that lost to a concurrent creation
   * (duplicate key) is simply not applied, and decided again by the caller (FerretDB also stops
   * at that statement despite `ordered: false`: the rest are read and decided again too).
   */
  private async writeAll(operations: GuardedWrite[]): Promise<number> {
    const statements: AnyBulkWriteOperation[] = operations.map((op) => ({ updateOne: { filter: op.filter, update: op.update, upsert: op.upsert } }));
    try {
      const result = await this.users.bulkWrite(statements, { ordered: false });
      return result.modifiedCount + result.upsertedCount;
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError) || !isDuplicateKeyOnly(error)) throw error;
      return error.result.modifiedCount + error.result.upsertedCount;
    }
  }
}
