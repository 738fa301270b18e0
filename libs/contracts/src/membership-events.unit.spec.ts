import type { EventEnvelope } from './envelope';
import { isMembershipEvent, validateMembershipEvent } from './membership-events';

const event = (type: string, data: unknown, schemaversion = 1): EventEnvelope => ({
  id: 'e-1',
  source: 'identity-service',
  type,
  specversion: '1.0',
  time: '2026-01-01T00:00:00.000Z',
  subject: 'u-1',
  datacontenttype: 'application/json',
  dataschema: `urn:identity:event:${type}:v${schemaversion}`,
  schemaversion,
  sequence: 1,
  data,
});

describe('membership event schemas (identity.membership.v1)', () => {
  it.each([
    ['UserJoinedOrganization', { userId: 'u-1', orgId: 'o-1', role: 0 }],
    ['UserJoinedOrganization', { userId: 'u-1', orgId: 'o-1', role: 255, joinedAt: '2026-01-01T00:00:00Z', extra: true }],
    ['UserLeftOrganization', { userId: 'u-1', orgId: 'o-1' }],
    ['UserRoleChanged', { userId: 'u-1', orgId: 'o-1', role: 254 }],
    ['UserRoleChanged', { userId: 'u-1', orgId: 'o-1', role: 254, managed: true }],
    ['UserDeleted', { userId: 'u-1' }],
  ])('accepts a valid %s', (type, data) => {
    expect(validateMembershipEvent(event(type, data))).toEqual([]);
    expect(isMembershipEvent(event(type, data))).toBe(true);
  });

  it.each([
    ['an unknown type', event('UserRenamed', { userId: 'u-1' }), 'unknown event type UserRenamed'],
    ['an unknown schema version', event('UserDeleted', { userId: 'u-1' }, 3), 'unsupported schemaversion 3 of UserDeleted'],
    [
      'a non-boolean managed',
      event('UserJoinedOrganization', { userId: 'u-1', orgId: 'o-1', role: 0, managed: 'yes' }, 2),
      'managed must be a boolean when present',
    ],
    ['a missing field', event('UserJoinedOrganization', { userId: 'u-1', role: 0 }), 'orgId must be a non-empty string'],
    ['a string role', event('UserRoleChanged', { userId: 'u-1', orgId: 'o-1', role: '1' }), 'role must be an integer'],
    [
      'a bad joinedAt',
      event('UserJoinedOrganization', { userId: 'u-1', orgId: 'o-1', role: 0, joinedAt: 'yesterday' }),
      'joinedAt must be an ISO date-time when present',
    ],
    ['data not an object', event('UserDeleted', 'u-1'), 'data must be an object'],
  ])('rejects %s with the reason', (_name, envelope, reason) => {
    expect(validateMembershipEvent(envelope)).toContain(reason);
    expect(isMembershipEvent(envelope)).toBe(false);
  });
});
