import { decideNotice, dueNotices, enforcementJobId, isSuperseded, MAX_NOTICE_MARKERS, MemberMfa, noticeKey } from './enforcement-lifecycle';
import { decideEnforcement, OrgPolicyState } from './org-policy';

const enforcedAt = new Date('2026-01-10T12:00:00.000Z');
const DAY = 86_400_000;
const deadline = new Date(enforcedAt.getTime() + 7 * DAY);
const afterDeadline = new Date(deadline.getTime() + 1);

function enforcedPolicy(over: Partial<OrgPolicyState> = {}): OrgPolicyState {
  const { state } = decideEnforcement(
    null,
    { orgId: 'org-1', enforced: true, gracePeriodDays: 7, allowedMethods: ['GOOGLE_AUTH', 'PASSKEY'], actorId: 'admin', affectedUsers: 0 },
    enforcedAt,
  );
  return { ...state, ...over };
}
const member = (over: Partial<MemberMfa> = {}): MemberMfa => ({ userId: 'u1', enabledMethods: [], notices: [], exemption: null, ...over });

describe('enforcement lifecycle: which members are told', () => {
  it('given a member without an allowed method, when the fan-out runs, then UserMfaSetupRequired with the deadline and a marker', () => {
    const decision = decideNotice('setup-required', enforcedPolicy(), member(), enforcedAt);
    expect(decision?.event).toEqual({ type: 'UserMfaSetupRequired', data: { userId: 'u1', orgId: 'org-1', deadline: deadline.toISOString() } });
    expect(decision?.notices).toEqual([noticeKey('setup-required', 'org-1', deadline)]);
  });

  it.each([
    ['an allowed method enabled', member({ enabledMethods: ['PASSKEY'] })],
    ['already told for this deadline', member({ notices: [noticeKey('setup-required', 'org-1', deadline)] })],
  ])('given %s, then nothing', (_case, m) => {
    expect(decideNotice('setup-required', enforcedPolicy(), m, enforcedAt)).toBeNull();
  });

  it('a method the org does not allow does not count; a new deadline tells the member again', () => {
    expect(decideNotice('setup-required', enforcedPolicy(), member({ enabledMethods: ['MAGIC_LINK'] }), enforcedAt)).not.toBeNull();
    const told = member({ notices: [noticeKey('setup-required', 'org-1', new Date(deadline.getTime() - DAY))] });
    expect(decideNotice('setup-required', enforcedPolicy(), told, enforcedAt)).not.toBeNull();
  });

  it('an exemption counts only while it has not expired, judged at processing time', () => {
    const expiresAt = new Date(enforcedAt.getTime() + 3 * DAY);
    const exempt = member({ exemption: { expiresAt } });
    expect(decideNotice('setup-required', enforcedPolicy(), exempt, enforcedAt)).toBeNull();
    expect(decideNotice('deadline-passed', enforcedPolicy(), exempt, afterDeadline)?.event).toEqual({
      type: 'UserMfaEnforcementDeadlinePassed',
      data: { userId: 'u1', orgId: 'org-1' },
    });
  });

  it('deadline-passed: only once the deadline passed, once per deadline, never without enforcement', () => {
    expect(decideNotice('deadline-passed', enforcedPolicy(), member(), new Date(deadline.getTime() - 1))).toBeNull();
    const decision = decideNotice('deadline-passed', enforcedPolicy(), member(), deadline);
    expect(decision?.notices).toEqual([noticeKey('deadline-passed', 'org-1', deadline)]);
    expect(decideNotice('deadline-passed', enforcedPolicy(), member({ notices: decision!.notices }), afterDeadline)).toBeNull();
    expect(decideNotice('deadline-passed', enforcedPolicy({ enforced: false }), member(), afterDeadline)).toBeNull();
  });

  it('markers stay bounded, most recent kept', () => {
    const old = Array.from({ length: MAX_NOTICE_MARKERS }, (_, i) => `setup-required:org-x:${i}`);
    const decision = decideNotice('setup-required', enforcedPolicy(), member({ notices: old }), enforcedAt);
    expect(decision?.notices).toHaveLength(MAX_NOTICE_MARKERS);
    expect(decision?.notices.at(-1)).toBe(noticeKey('setup-required', 'org-1', deadline));
    expect(decision?.notices).not.toContain(old[0]);
  });
});

describe('enforcement lifecycle: which jobs', () => {
  it('an enforced org gets a fan-out; the deadline job once the deadline passed; nothing when not enforced', () => {
    const policy = enforcedPolicy();
    expect(dueNotices(policy, enforcedAt)).toEqual(['setup-required']);
    expect(dueNotices(policy, deadline)).toEqual(['setup-required', 'deadline-passed']);
    expect(dueNotices({ enforced: false, enforcementDeadline: null }, afterDeadline)).toEqual([]);
  });

  it('each enforcement change is a new revision that supersedes the jobs of the previous one', () => {
    const first = enforcedPolicy();
    expect(first.enforcementRevision).toBe(1);
    const changed = decideEnforcement(first, { orgId: 'org-1', enforced: true, gracePeriodDays: 14, actorId: 'a', affectedUsers: 0 }, afterDeadline).state;
    expect(changed.enforcementRevision).toBe(2);
    const repeat = decideEnforcement(changed, { orgId: 'org-1', enforced: true, actorId: 'a', affectedUsers: 0 }, afterDeadline).state;
    expect(repeat.enforcementRevision).toBe(2);
    const lifted = decideEnforcement(changed, { orgId: 'org-1', enforced: false, actorId: 'a', affectedUsers: 0 }, afterDeadline).state;
    expect(lifted.enforcementRevision).toBe(3);
    expect(isSuperseded(changed, 1)).toBe(true);
    expect(isSuperseded(changed, 2)).toBe(false);
    expect(isSuperseded(lifted, 3)).toBe(true);
    expect(isSuperseded(null, 0)).toBe(true);
    expect(enforcementJobId('deadline-passed', 'org-1', 2)).toBe('deadline-passed:org-1:2');
  });
});
