import { AppError } from '@mfa/common/errors/app-error';
import { decideEnforcement, decideGrantExemption, decideRevokeExemption, newOrgPolicy, OrgPolicyState, SetEnforcement, weakensPolicy } from './org-policy';

const now = new Date('2026-01-10T12:00:00.000Z');
const later = new Date('2026-01-11T12:00:00.000Z');
const DAY = 86_400_000;
const enforce = (over: Partial<Parameters<typeof decideEnforcement>[1]> = {}) => ({
  orgId: 'org-1',
  enforced: true,
  actorId: 'admin-1',
  affectedUsers: 3,
  ...over,
});

function expectValidation(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('VALIDATION_FAILED');
    expect((error as AppError).details?.[0].field).toBe(field);
    return;
  }
  throw new Error('expected a validation error');
}

describe('OrgPolicy: enforcement', () => {
  it('given no policy, when enforced with a grace period, then OrgMfaEnforced with the deadline', () => {
    const { state, events } = decideEnforcement(null, enforce({ gracePeriodDays: 14, allowedMethods: ['PASSKEY', 'GOOGLE_AUTH'] }), now);
    expect(state).toMatchObject({ enforced: true, enforcedAt: now, enforcedBy: 'admin-1', gracePeriodDays: 14 });
    expect(state.enforcementDeadline).toEqual(new Date(now.getTime() + 14 * DAY));
    expect(events).toEqual([
      {
        type: 'OrgMfaEnforced',
        data: {
          orgId: 'org-1',
          enforcedBy: 'admin-1',
          gracePeriodDays: 14,
          enforcementDeadline: new Date(now.getTime() + 14 * DAY).toISOString(),
          allowedMethods: ['GOOGLE_AUTH', 'PASSKEY'],
          affectedUsers: 3,
          rememberDeviceDays: 0,
        },
      },
    ]);
  });

  it('given an enforced policy, when the same settings are sent again, then nothing happens', () => {
    const { state } = decideEnforcement(null, enforce({ gracePeriodDays: 7 }), now);
    expect(decideEnforcement(state, enforce({ gracePeriodDays: 7 }), later).events).toEqual([]);
    expect(decideEnforcement(state, enforce(), later).events).toEqual([]); // omitted settings keep the current ones
  });

  it('given an enforced policy, when the grace period changes, then the deadline moves from the original enforcement time', () => {
    const { state } = decideEnforcement(null, enforce({ gracePeriodDays: 7 }), now);
    const changed = decideEnforcement(state, enforce({ gracePeriodDays: 30, actorId: 'admin-2' }), later);
    expect(changed.state.enforcedAt).toEqual(now);
    expect(changed.state.enforcementDeadline).toEqual(new Date(now.getTime() + 30 * DAY));
    expect(changed.events[0].data).toMatchObject({ enforcedBy: 'admin-2', gracePeriodDays: 30 });
  });

  it('given an enforced policy, when lifted, then OrgMfaEnforcementLifted and the deadline is gone; lifting again is a no-op', () => {
    const { state } = decideEnforcement(null, enforce({ gracePeriodDays: 7 }), now);
    const lifted = decideEnforcement(state, { orgId: 'org-1', enforced: false, actorId: 'admin-9', affectedUsers: 0 }, later);
    expect(lifted.events).toEqual([{ type: 'OrgMfaEnforcementLifted', data: { orgId: 'org-1', liftedBy: 'admin-9' } }]);
    expect(lifted.state).toMatchObject({ enforced: false, enforcementDeadline: null, enforcedAt: null });
    expect(decideEnforcement(lifted.state, { orgId: 'org-1', enforced: false, actorId: 'x', affectedUsers: 0 }, later).events).toEqual([]);
    expect(decideEnforcement(null, { orgId: 'org-1', enforced: false, actorId: 'x', affectedUsers: 0 }, later).events).toEqual([]);
  });

  it('refuses out-of-range grace periods, an empty method list and settings while lifting', () => {
    expectValidation(() => decideEnforcement(null, enforce({ gracePeriodDays: 91 }), now), 'gracePeriodDays');
    expectValidation(() => decideEnforcement(null, enforce({ gracePeriodDays: -1 }), now), 'gracePeriodDays');
    expectValidation(() => decideEnforcement(null, enforce({ gracePeriodDays: 1.5 }), now), 'gracePeriodDays');
    expectValidation(() => decideEnforcement(null, enforce({ allowedMethods: [] }), now), 'allowedMethods');
    expectValidation(() => decideEnforcement(null, enforce({ enforced: false, gracePeriodDays: 1 }), now), 'enforced');
  });
});

describe('OrgPolicy: exemptions', () => {
  const base: OrgPolicyState = newOrgPolicy('org-1');
  const max = new Date(now.getTime() + 365 * 24 * 3600_000);

  it('an admin cannot exempt themself; expiresAt beyond the cap is refused', () => {
    expect(() =>
      decideGrantExemption(base, null, { orgId: 'org-1', userId: 'a', reason: 'me', expiresAt: later, actorId: 'a', maxExpiresAt: max, revision: 2 }, now),
    ).toThrow(expect.objectContaining({ code: 'FORBIDDEN', kind: 'forbidden' }));
    expectValidation(
      () =>
        decideGrantExemption(
          base,
          null,
          { orgId: 'org-1', userId: 'u1', reason: 'x', expiresAt: new Date(max.getTime() + 1), actorId: 'a', maxExpiresAt: max, revision: 2 },
          now,
        ),
      'expiresAt',
    );
  });

  it('weakensPolicy: lifting, a longer grace period or an added method lower security; the opposite raises it', () => {
    const enforced = decideEnforcement(null, enforce({ enforced: true, gracePeriodDays: 7, allowedMethods: ['GOOGLE_AUTH'] }), now).state;
    const next = (body: Partial<SetEnforcement>) => decideEnforcement(enforced, enforce(body), now).state;
    expect(weakensPolicy(null, enforced)).toBe(false);
    expect(weakensPolicy(newOrgPolicy('org-1'), enforced)).toBe(false);
    expect(weakensPolicy(enforced, next({ enforced: false }))).toBe(true);
    expect(weakensPolicy(enforced, next({ enforced: true, gracePeriodDays: 8 }))).toBe(true);
    expect(weakensPolicy(enforced, next({ enforced: true, allowedMethods: ['GOOGLE_AUTH', 'MAGIC_LINK'] }))).toBe(true);
    expect(weakensPolicy(enforced, next({ enforced: true, gracePeriodDays: 1 }))).toBe(false);
    expect(weakensPolicy(enforced, next({ enforced: true, allowedMethods: ['GOOGLE_AUTH'] }))).toBe(false);
  });

  it('grants, replaces and refuses a past expiry', () => {
    const granted = decideGrantExemption(
      base,
      null,
      { orgId: 'org-1', userId: 'u1', reason: 'kiosk', expiresAt: later, actorId: 'a', maxExpiresAt: max, revision: 2 },
      now,
    );
    expect(granted.events[0]).toEqual({
      type: 'UserMfaExemptionGranted',
      data: { orgId: 'org-1', userId: 'u1', grantedBy: 'a', reason: 'kiosk', expiresAt: later.toISOString() },
    });
    // The change travels with the event in the policy write, for the exemptions' collection.
    expect(granted.state.exemptionChanges).toEqual([
      { userId: 'u1', revision: 2, exemption: { userId: 'u1', reason: 'kiosk', expiresAt: later, grantedBy: 'a', grantedAt: now } },
    ]);
    const stored = granted.state.exemptionChanges[0].exemption;
    expect(
      decideGrantExemption(base, stored, { orgId: 'org-1', userId: 'u1', reason: 'kiosk', expiresAt: later, actorId: 'a', maxExpiresAt: max, revision: 3 }, now)
        .events,
    ).toEqual([]);
    const replaced = decideGrantExemption(
      granted.state,
      stored,
      { orgId: 'org-1', userId: 'u1', reason: 'travel', expiresAt: null, actorId: 'b', maxExpiresAt: max, revision: 3 },
      now,
    );
    // One pending change per member: the latest.
    expect(replaced.state.exemptionChanges).toHaveLength(1);
    // No exemption is forever: without expiresAt it lasts the longest allowed (MFA_EXEMPTION_MAX_DAYS).
    expect(replaced.state.exemptionChanges[0]).toMatchObject({ revision: 3, exemption: { reason: 'travel', expiresAt: max } });
    expectValidation(
      () => decideGrantExemption(base, null, { orgId: 'org-1', userId: 'u1', reason: 'x', expiresAt: now, actorId: 'a', maxExpiresAt: max, revision: 2 }, now),
      'expiresAt',
    );
  });

  it('revokes an active exemption; an expired or missing one is not found', () => {
    const granted = decideGrantExemption(
      base,
      null,
      { orgId: 'org-1', userId: 'u1', reason: 'kiosk', expiresAt: later, actorId: 'a', maxExpiresAt: max, revision: 2 },
      now,
    ).state;
    const stored = granted.exemptionChanges[0].exemption;
    const revoked = decideRevokeExemption(granted, stored, { orgId: 'org-1', userId: 'u1', actorId: 'z', revision: 3 }, now);
    expect(revoked.events[0].data).toEqual({ orgId: 'org-1', userId: 'u1', grantedBy: 'a', reason: 'kiosk', expiresAt: later.toISOString(), revokedBy: 'z' });
    expect(revoked.state.exemptionChanges).toEqual([{ userId: 'u1', exemption: null, revision: 3 }]);
    expect(() => decideRevokeExemption(granted, stored, { orgId: 'org-1', userId: 'u1', actorId: 'z', revision: 3 }, new Date(later.getTime() + 1))).toThrow(
      'Exemption not found',
    );
    expect(() => decideRevokeExemption(base, null, { orgId: 'org-1', userId: 'nobody', actorId: 'z', revision: 3 }, now)).toThrow('Exemption not found');
  });
});
