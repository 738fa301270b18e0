import type { ManualClock, TestApp } from './test-app';
import type { KafkaCollector } from './kafka-collector';
import { signToken, TokenClaims } from './tokens';
import { ActiveMembershipsReader } from '../../apps/mfa-service/src/membership/active-memberships.reader';
import { MEMBERSHIP_VERSIONS_COLLECTION, memberKey, ORG_MEMBERS_COLLECTION } from '../../apps/mfa-service/src/membership/org-member.document';
import { ORG_EXEMPTIONS_COLLECTION } from '../../apps/mfa-service/src/org-policy/infra/org-exemption.document';
import { ORG_POLICY_COLLECTION } from '../../apps/mfa-service/src/org-policy/infra/org-policy.document';
import { OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';
import { base32Decode, hotp, totpStepAt } from '../../apps/mfa-service/src/user-mfa/factors/totp';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';

/**
 * What the trust-model and authenticator suites share: tokens dated by the app's clock, raw
 * documents, the members the identity service confirmed, and `refusedWithoutTrace` — the proof
 * that a refused attempt changed no document and published nothing.
 */
export function trustFixture(app: () => TestApp, kafka: () => KafkaCollector, clock: ManualClock) {
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  /** A bearer token as the identity service issues it; `auth_time` only when given (or stamped for a second-factor amr). */
  const bearer = async (claims: TokenClaims) => `Bearer ${await signToken({ email: `${claims.sub}@example.com`, ...claims }, { authTime: nowSeconds() })}`;
  const call = async (method: 'post' | 'put' | 'patch' | 'get' | 'delete', path: string, claims: TokenClaims, body?: object) => {
    const req = app()
      .http[method](path)
      .set('Authorization', await bearer(claims));
    return body === undefined ? req : req.send(body);
  };
  const doc = (userId: string) =>
    app()
      .db.collection(USER_MFA_COLLECTION)
      .findOne({ _id: userId as never });
  const orgDoc = (orgId: string) =>
    app()
      .db.collection(ORG_POLICY_COLLECTION)
      .findOne({ _id: orgId as never });
  const settle = async () => {
    await app().app.get(OutboxRelay).whenIdle();
    await new Promise((resolve) => setTimeout(resolve, 300));
  };
  const eventsAbout = (id: string) => kafka().events((e) => e.subject === id);
  const codeAt = (secret: string) => hotp(base32Decode(secret), totpStepAt(clock.now()));

  /** Runs `attempt`, then proves it changed nothing: the raw documents are as before and no event about them was published. */
  async function refusedWithoutTrace(ids: { users?: string[]; orgs?: string[] }, attempt: () => Promise<void>): Promise<void> {
    await settle();
    const read = async () => ({
      users: await Promise.all((ids.users ?? []).map(doc)),
      orgs: await Promise.all((ids.orgs ?? []).map(orgDoc)),
      // The orgs' exemptions live in their own collection.
      exemptions: await app()
        .db.collection(ORG_EXEMPTIONS_COLLECTION)
        .find({ orgId: { $in: ids.orgs ?? [] } })
        .sort({ _id: 1 })
        .toArray(),
    });
    const subjects = [...(ids.users ?? []), ...(ids.orgs ?? [])];
    const before = await read();
    const counts = subjects.map((id) => eventsAbout(id).length);
    await attempt();
    await settle();
    expect(await read()).toEqual(before);
    expect(subjects.map((id) => eventsAbout(id).length)).toEqual(counts);
  }

  /** A membership the identity service confirmed (as the membership consumer writes it), or one only learned from tokens. */
  async function member(orgId: string, userId: string, role: number, managed = false, source: 'event' | 'token' = 'event', lastSeenAt = clock.now()) {
    const key = memberKey(orgId, userId);
    const db = app().db;
    await db.collection(ORG_MEMBERS_COLLECTION).updateOne(
      { _id: key as never },
      {
        $set: { orgId, userId, role, source, managed, joinedAt: lastSeenAt, lastSeenAt, ...(source === 'event' ? { membershipUpdatedAt: lastSeenAt } : {}) },
      },
      { upsert: true },
    );
    if (source === 'event') {
      await db
        .collection(MEMBERSHIP_VERSIONS_COLLECTION)
        .updateOne({ _id: key as never }, { $set: { orgId, userId, membershipUpdatedAt: lastSeenAt } }, { upsert: true });
    }
    // As this instance's membership consumer does after applying an event (MEMBERSHIP_CACHE_TTL_MS).
    app().app.get(ActiveMembershipsReader).invalidate(userId);
  }

  return { nowSeconds, bearer, call, doc, orgDoc, settle, eventsAbout, codeAt, refusedWithoutTrace, member };
}
