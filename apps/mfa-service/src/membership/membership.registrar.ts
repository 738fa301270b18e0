import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { principalOf, Principal } from '@mfa/auth';
import type { Connection } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { USER_MFA_COLLECTION } from '../user-mfa/infra/user-mfa.document';
import { MemberJoined } from './member-joined';
import { MEMBERSHIP_VERSIONS_COLLECTION, memberKey, ORG_MEMBERS_COLLECTION } from './org-member.document';

const CACHE_LIMIT = 50_000;

/**
 * First contact through a token registers membership (sub + orgId + orgRole), so compliance
 * reports know members the identity service has not told us about yet. Once membership events
 * exist for the (org, user) they are authoritative: a token (possibly issued before the user left)
 * only refreshes `lastSeenAt`. Remembered in process so a member costs one upsert per instance.
 */
@Injectable()
export class MembershipRegistrar {
  private readonly seen = new Set<string>();

  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly joined: MemberJoined,
  ) {}

  async register(principal: Principal): Promise<void> {
    if (!principal.orgId) return;
    const cacheKey = `${principal.orgId}\u0000${principal.userId}\u0000${principal.orgRole}`;
    if (this.seen.has(cacheKey)) return;
    const now = new Date();
    const key = memberKey(principal.orgId, principal.userId);
    const members = this.connection.collection(ORG_MEMBERS_COLLECTION);
    if ((await this.connection.collection(MEMBERSHIP_VERSIONS_COLLECTION).countDocuments({ _id: key as never }, { limit: 1 })) > 0) {
      await members.updateOne({ _id: key as never }, { $set: { lastSeenAt: now } });
      this.remember(cacheKey);
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
      this.connection
        .collection(USER_MFA_COLLECTION)
        .updateOne({ _id: principal.userId as never }, { $set: { orgId: principal.orgId } }, { upsert: true }),
    ]);
    // Known through tokens only: told as a joiner at its first request to this process, not only
    // when the upsert created the member, so a notice whose write failed is retried by the next
    // request. The listeners are idempotent (once-per-deadline markers): nobody is told twice.
    // No upstream event to point at: the join itself gets an id.
    const id = randomUUID();
    await this.joined.publish(principal.orgId, principal.userId, { correlationId: id, causationId: id });
    this.remember(cacheKey);
  }

  private remember(cacheKey: string): void {
    if (this.seen.size >= CACHE_LIMIT) this.seen.clear();
    this.seen.add(cacheKey);
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
