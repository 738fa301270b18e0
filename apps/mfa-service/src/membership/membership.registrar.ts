import { CallHandler, ExecutionContext, Injectable, NestInterceptor, OnApplicationBootstrap } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { principalOf, Principal } from '@mfa/auth';
import type { Connection } from 'mongoose';
import { from, Observable, switchMap } from 'rxjs';
import { USER_MFA_COLLECTION } from '../user-mfa/infra/user-mfa.document';
import { memberKey, ORG_MEMBERS_COLLECTION } from './org-member.document';

const CACHE_LIMIT = 50_000;

/**
 * First contact through a token registers membership (sub + orgId + orgRole), so compliance
 * reports know members the identity service has not told us about yet. Remembered in process
 * so a member costs one upsert per instance, not one per request.
 */
@Injectable()
export class MembershipRegistrar implements OnApplicationBootstrap {
  private readonly seen = new Set<string>();

  constructor(@InjectConnection() private readonly connection: Connection) {}

  async onApplicationBootstrap(): Promise<void> {
    const members = this.connection.collection(ORG_MEMBERS_COLLECTION);
    await members.createIndex({ orgId: 1, userId: 1 });
    await this.connection.collection(USER_MFA_COLLECTION).createIndex({ orgId: 1 });
  }

  async register(principal: Principal): Promise<void> {
    if (!principal.orgId) return;
    const cacheKey = `${principal.orgId}\u0000${principal.userId}\u0000${principal.orgRole}`;
    if (this.seen.has(cacheKey)) return;
    const now = new Date();
    await Promise.all([
      this.connection.collection(ORG_MEMBERS_COLLECTION).updateOne(
        { _id: memberKey(principal.orgId, principal.userId) as never },
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
    if (this.seen.size >= CACHE_LIMIT) this.seen.clear();
    this.seen.add(cacheKey);
  }
}

/** Runs the registrar for every authenticated request before its handler. */
@Injectable()
export class MembershipInterceptor implements NestInterceptor {
  constructor(private readonly registrar: MembershipRegistrar) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = principalOf(context.switchToHttp().getRequest());
    if (!principal?.orgId) return next.handle();
    return from(this.registrar.register(principal)).pipe(switchMap(() => next.handle()));
  }
}
