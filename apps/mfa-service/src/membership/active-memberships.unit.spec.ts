import { activeMemberships } from './active-memberships.reader';
import { legacyMemberKey, memberKey } from './org-member.document';

const now = new Date('2026-06-01T00:00:00Z');
const DAY = 24 * 3600_000;
const TTL = 30 * DAY;
const doc = (orgId: string, source: 'token' | 'event', lastSeenAgoMs: number, extra: { role?: number; managed?: boolean } = {}) => ({
  orgId,
  source,
  role: extra.role ?? 0,
  managed: extra.managed,
  lastSeenAt: new Date(now.getTime() - lastSeenAgoMs),
});

describe('active memberships', () => {
  it('event memberships stay active; token-learned ones expire TTL after the last token; the token org counts once more', () => {
    const active = activeMemberships(
      [doc('org-e', 'event', 400 * DAY, { managed: true }), doc('org-t', 'token', TTL), doc('org-old', 'token', TTL + 1)],
      { orgId: 'org-now', role: 254 },
      now,
      TTL,
    );
    expect(active).toEqual([
      { orgId: 'org-e', role: 0, managed: true, source: 'event' },
      { orgId: 'org-now', role: 254, managed: false, source: 'request' },
      { orgId: 'org-t', role: 0, managed: false, source: 'token' },
    ]);
  });

  it('the token org already known is not duplicated, and the stored membership wins', () => {
    expect(activeMemberships([doc('org-a', 'event', 0, { role: 0 })], { orgId: 'org-a', role: 255 }, now, TTL)).toEqual([
      { orgId: 'org-a', role: 0, managed: false, source: 'event' },
    ]);
  });
});

describe('member keys', () => {
  it('cannot collide whatever the ids contain', () => {
    expect(memberKey('orgZ', 'x:bob')).not.toBe(memberKey('orgZ:x', 'bob'));
    expect(legacyMemberKey('orgZ', 'x:bob')).toBe(legacyMemberKey('orgZ:x', 'bob'));
    expect(memberKey('a%3Ab', 'c')).not.toBe(memberKey('a:b', 'c'));
    expect(memberKey('org-1', 'user_1.x')).toBe('org-1:user_1.x');
  });
});
