import { dataOf } from '../../../../../test/harness/decider-spec';
import { userPolicyOf } from '../../user-mfa/domain/user-policy';
import { decideEnforcement, weakensPolicy } from './org-policy';

const now = new Date('2026-03-01T10:00:00.000Z');
const enforce = (extra: object = {}) => ({ orgId: 'org-1', enforced: true, actorId: 'admin-1', affectedUsers: 0, ...extra });

describe('OrgPolicy: rememberDeviceDays', () => {
  it('defaults to 0, is set with enforcement, kept when omitted, and cleared when enforcement is lifted', () => {
    const off = decideEnforcement(null, enforce(), now);
    expect(off.state.rememberDeviceDays).toBe(0);
    expect(dataOf(off.events[0]).rememberDeviceDays).toBe(0);
    const on = decideEnforcement(off.state, enforce({ rememberDeviceDays: 30 }), now);
    expect(on.state.rememberDeviceDays).toBe(30);
    expect(on.events[0].data).toMatchObject({ rememberDeviceDays: 30 });
    expect(decideEnforcement(on.state, enforce(), now).events).toEqual([]); // omitted: kept, a no-op
    const lifted = decideEnforcement(on.state, { orgId: 'org-1', enforced: false, actorId: 'a', affectedUsers: 0 }, now);
    expect(lifted.state.rememberDeviceDays).toBe(0);
  });

  it.each([[-1], [91], [1.5]])('refuses %p (400 VALIDATION_FAILED), and any value with enforced: false', (days) => {
    expect(() => decideEnforcement(null, enforce({ rememberDeviceDays: days }), now)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => decideEnforcement(null, { orgId: 'org-1', enforced: false, actorId: 'a', affectedUsers: 0, rememberDeviceDays: 0 }, now)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });

  it('remembering devices longer lowers security; shorter raises it', () => {
    const at30 = decideEnforcement(null, enforce({ rememberDeviceDays: 30 }), now).state;
    expect(weakensPolicy(null, at30)).toBe(true);
    expect(weakensPolicy(at30, decideEnforcement(at30, enforce({ rememberDeviceDays: 60 }), now).state)).toBe(true);
    expect(weakensPolicy(at30, decideEnforcement(at30, enforce({ rememberDeviceDays: 10 }), now).state)).toBe(false);
    expect(weakensPolicy(null, decideEnforcement(null, enforce(), now).state)).toBe(false);
  });

  it('with several organizations the smallest applies; an organization without a policy (0) or no organization at all forbids it', () => {
    const snapshot = (rememberDeviceDays?: number) => ({ enforced: true, enforcementDeadline: null, allowedMethods: [], exemption: null, rememberDeviceDays });
    expect(
      userPolicyOf(
        [
          { orgId: 'a', policy: snapshot(30) },
          { orgId: 'b', policy: snapshot(7) },
        ],
        now,
      ).rememberDeviceDays,
    ).toBe(7);
    expect(
      userPolicyOf(
        [
          { orgId: 'a', policy: snapshot(30) },
          { orgId: 'b', policy: null },
        ],
        now,
      ).rememberDeviceDays,
    ).toBe(0);
    expect(userPolicyOf([{ orgId: 'a', policy: snapshot(undefined) }], now).rememberDeviceDays).toBe(0);
    expect(userPolicyOf([], now).rememberDeviceDays).toBe(0);
  });
});
