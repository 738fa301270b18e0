import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { MembershipEvent } from '@mfa/contracts';
import { isDuplicateKey } from '@mfa/persistence';
import type { Connection } from 'mongoose';
import { ActiveMembershipsReader } from './active-memberships.reader';
import { MemberJoined } from './member-joined';
import { USER_MFA_COLLECTION } from '../user-mfa/infra/user-mfa.document';
import {
  DELETED_USERS_COLLECTION,
  DeletedUserDocument,
  MEMBERSHIP_VERSIONS_COLLECTION,
  MembershipVersionDocument,
  memberKey,
  ORG_MEMBERS_COLLECTION,
  OrgMemberDocument,
} from './org-member.document';

export type ProjectionOutcome = 'applied' | 'stale';

/**
 * Applies identity membership events to the member read model. No transactions on FerretDB:
 * every step is idempotent, so a retry after a partial failure converges. Out-of-order
 * events are ignored per (org, user) by the event time last applied (`membershipUpdatedAt`),
 * kept in `membership_versions` so it survives the member document's deletion on leave.
 */
@Injectable()
export class MembershipProjection {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly joined: MemberJoined,
    private readonly memberships: ActiveMembershipsReader,
  ) {}

  private members() {
    return this.connection.collection<OrgMemberDocument>(ORG_MEMBERS_COLLECTION);
  }
  private versions() {
    return this.connection.collection<MembershipVersionDocument>(MEMBERSHIP_VERSIONS_COLLECTION);
  }
  private deletedUsers() {
    return this.connection.collection<DeletedUserDocument>(DELETED_USERS_COLLECTION);
  }
  private users() {
    return this.connection.collection(USER_MFA_COLLECTION);
  }

  async apply(event: MembershipEvent): Promise<ProjectionOutcome> {
    try {
      return await this.project(event);
    } finally {
      // Even after a partial failure: this instance's cached memberships of the user are re-read.
      this.memberships.invalidate(event.data.userId);
    }
  }

  private async project(event: MembershipEvent): Promise<ProjectionOutcome> {
    const at = new Date(event.time);
    switch (event.type) {
      case 'UserJoinedOrganization':
      case 'UserRoleChanged': {
        const { orgId, userId, role } = event.data;
        if ((await this.deletedAfter(userId, at)) || !(await this.claim(orgId, userId, at))) return 'stale';
        const joinedAt = event.type === 'UserJoinedOrganization' && event.data.joinedAt ? new Date(event.data.joinedAt) : undefined;
        // Schema v2 says whether this organization manages the account; a v1 event leaves it as it was.
        const managed = typeof event.data.managed === 'boolean' ? { managed: event.data.managed } : {};
        await this.members().updateOne(
          { _id: memberKey(orgId, userId) },
          {
            $set: { orgId, userId, role, source: 'event', membershipUpdatedAt: at, ...managed, ...(joinedAt ? { joinedAt } : {}) },
            $setOnInsert: { lastSeenAt: at, ...(joinedAt ? {} : { joinedAt: at }) },
          },
          { upsert: true },
        );
        await this.users().updateOne({ _id: userId as never }, { $set: { orgId } }, { upsert: true });
        // Every join (a redelivered one too): the listeners are idempotent, so a retry after a
        // failure between these writes and the notice still tells the member.
        if (event.type === 'UserJoinedOrganization') await this.joined.publish(orgId, userId, { correlationId: event.id, causationId: event.id });
        return 'applied';
      }
      case 'UserLeftOrganization': {
        const { orgId, userId } = event.data;
        if (!(await this.claim(orgId, userId, at))) return 'stale';
        await this.leave(orgId, userId);
        return 'applied';
      }
      case 'UserDeleted': {
        const { userId } = event.data;
        if (await this.deletedAfter(userId, at)) return 'stale';
        await this.deletedUsers().updateOne({ _id: userId }, { $set: { deletedAt: at } }, { upsert: true });
        const memberships = await this.members()
          .find({ userId }, { projection: { orgId: 1 } })
          .toArray();
        for (const { orgId } of memberships) {
          if (await this.claim(orgId, userId, at)) await this.members().deleteOne({ _id: memberKey(orgId, userId) });
        }
        // MFA state stays: deleting the user's factors is the user-mfa module's decision.
        await this.users().updateOne({ _id: userId as never }, { $unset: { orgId: '' } });
        return 'applied';
      }
    }
  }

  private async leave(orgId: string, userId: string): Promise<void> {
    await this.members().deleteOne({ _id: memberKey(orgId, userId) });
    await this.users().updateOne({ _id: userId as never, orgId }, { $unset: { orgId: '' } });
  }

  /** Records `at` as the member's latest event time unless a newer one was applied. Equal times pass, so retries re-apply. */
  private async claim(orgId: string, userId: string, at: Date): Promise<boolean> {
    try {
      await this.versions().updateOne(
        { _id: memberKey(orgId, userId), membershipUpdatedAt: { $lte: at } },
        { $set: { orgId, userId, membershipUpdatedAt: at } },
        { upsert: true },
      );
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  private async deletedAfter(userId: string, at: Date): Promise<boolean> {
    const deleted = await this.deletedUsers().findOne({ _id: userId });
    return deleted !== null && deleted.deletedAt.getTime() > at.getTime();
  }
}
