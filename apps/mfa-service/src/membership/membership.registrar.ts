import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { principalOf, Principal } from '@mfa/auth';
import type { Connection } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { USER_MFA_COLLECTION } from '../user-mfa/infra/user-mfa.document';
import { ActiveMembershipsReader } from './active-memberships.reader';
import { MemberJoined } from './member-joined';
import { MEMBERSHIP_VERSIONS_COLLECTION, memberKey, ORG_MEMBERS_COLLECTION } from './org-member.document';

const CACHE_LIMIT = 50_000;
/**
 * A token-learned membership is active for MFA_TOKEN_MEMBERSHIP_TTL_DAYS after the last token that
 * showed it, so `lastSeenAt` is refreshed at most this often per member and process.
 */
const LAST_SEEN_REFRESH_MS = 60 * 60_000;

/**
 * First contact through a token registers membership (sub + orgId + orgRole), so compliance
 * reports know members the identity service has not told us about yet. Once membership events
 * exist for the (org, user) they are authoritative: a token (possibly issued before the user left)
 * only refreshes `lastSeenAt`. Remembered in process so a member costs one upsert per instance.
 */
@Injectable()
export class MembershipRegistrar {
  /** When each (org, user, role) was last written by this process. */
  private readonly seen = new Map<string, number>();

  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly joined: MemberJoined,
    private readonly memberships: ActiveMembershipsReader,
  ) {}

  async register(principal: Principal): Promise<void> {
    if (!principal.orgId) return;
    const cacheKey = `${principal.orgId}\u0000${principal.userId}\u0000${principal.orgRole}`;
    const now = new Date();
    const key = memberKey(principal.orgId, principal.userId);
    const members = this.connection.collection(ORG_MEMBERS_COLLECTION);
    const writtenAt = this.seen.get(cacheKey);
    if (writtenAt !== undefined) {
      if (now.getTime() - writtenAt < LAST_SEEN_REFRESH_MS) return;
      await members.updateOne({ _id: key as never }, { $set: { lastSeenAt: now } });
      this.remember(cacheKey, now, principal.userId);
      return;
    }
    if ((await this.connection.collection(MEMBERSHIP_VERSIONS_COLLECTION).countDocuments({ _id: key as never }, { limit: 1 })) > 0) {
      await members.updateOne({ _id: key as never }, { $set: { lastSeenAt: now } });
      this.remember(cacheKey, now, principal.userId);
      return;
    }
    await Promise.all([
      members.updateOne(
        { _id: key as never },
        {
          $set: { orgId: principal.orgId, userId: principal.userId, role: principal.orgRole, lastSeenAt: now },
          $setOnInsert: { source: 'token', joinedAt: now },
        },
        { upsert: true },
      ),
      // The user's current organization, owned by membership (the UserMfa aggregate never writes it).
      this.connection.collection(USER_MFA_COLLECTION).updateOne({ _id: principal.userId as never }, { $set: { orgId: principal.orgId } }, { upsert: true }),
    ]);
    // Known through tokens only: told as a joiner at its first request to this process, not only
    // when the upsert created the member, so a notice whose write failed is retried by the next
    // request. The listeners are idempotent (once-per-deadline markers): nobody is told twice.
    // No upstream event to point at: the join itself gets an id.
    const id = randomUUID();
    await this.joined.publish(principal.orgId, principal.userId, { correlationId: id, causationId: id });
    this.remember(cacheKey, now, principal.userId);
  }

  /** After a write: this process's cached memberships of the user are re-read. */
  private remember(cacheKey: string, at: Date, userId: string): void {
    this.memberships.invalidate(userId);
    if (this.seen.size >= CACHE_LIMIT) this.seen.clear();
    this.seen.set(cacheKey, at.getTime());
  }
}

/**
 * Runs the registrar for every authenticated request before its handler. A global guard placed
 * after BearerAuthGuard (app.module), rather than an interceptor: Nest wraps each interceptor in
 * rxjs and an AsyncResource per request, which showed in the status path's profile.
 */
@Injectable()
export class MembershipGuard implements CanActivate {
  constructor(private readonly registrar: MembershipRegistrar) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const principal = principalOf(context.switchToHttp().getRequest());
    if (principal?.orgId) await this.registrar.register(principal);
    return true;
  }
}
