import { Injectable } from '@nestjs/common';

/** What made the member known: a membership event's id, or the request that first showed them. */
export interface JoinCause {
  correlationId: string;
  causationId: string;
}

/** Called when a user becomes a member of an organization the service did not know them in. */
export type MemberJoinedListener = (orgId: string, userId: string, cause: JoinCause) => Promise<void>;

/**
 * Lets other modules react to new members without membership depending on them (org-policy
 * already depends on membership). Listeners are awaited: a failure fails the projection step
 * or request that registered the member, so the consumer's redelivery retries it.
 */
@Injectable()
export class MemberJoined {
  private readonly listeners: MemberJoinedListener[] = [];

  subscribe(listener: MemberJoinedListener): void {
    this.listeners.push(listener);
  }

  async publish(orgId: string, userId: string, cause: JoinCause): Promise<void> {
    for (const listener of this.listeners) await listener(orgId, userId, cause);
  }
}
