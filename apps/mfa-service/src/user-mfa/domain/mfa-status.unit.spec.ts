import { describeMfaStatus, NO_MFA, OrgPolicySnapshot } from './mfa-status';
import { allowedAtLogin, mayConfigure, NO_USER_POLICY, userPolicyOf } from './user-policy';

const now = new Date('2026-03-01T00:00:00.000Z');
const deadline = new Date('2026-03-08T00:00:00.000Z');
const enforcing = (over: Partial<OrgPolicySnapshot> = {}): OrgPolicySnapshot => ({
  enforced: true,
  enforcementDeadline: deadline,
  allowedMethods: ['GOOGLE_AUTH', 'PASSKEY'],
  exemption: null,
  ...over,
});
/** The user's policy with one organization. */
const one = (policy: OrgPolicySnapshot | null) => userPolicyOf([{ orgId: 'org-a', policy }], now);

describe('MFA status rules (contract "meaning of the status fields")', () => {
  it('no MFA, no org: nothing required', () => {
    expect(describeMfaStatus(NO_MFA, NO_USER_POLICY)).toEqual({
      isEnabled: false,
      isRequired: false,
      isEnforced: false,
      enabledMethods: [],
      primaryMethod: null,
      setupRequired: false,
      enforcementDeadline: null,
      exempt: false,
      requiredBy: null,
      enforcedBy: [],
      backupCodesRemaining: 0,
    });
  });

  it('own MFA: required by the user', () => {
    const status = describeMfaStatus({ enabledMethods: ['PASSKEY'], primaryMethod: 'PASSKEY', backupCodesRemaining: 0 }, one(null));
    expect(status).toMatchObject({ isEnabled: true, isRequired: true, isEnforced: false, requiredBy: 'user' });
  });

  it('enforced without a method: setup required with the deadline', () => {
    expect(describeMfaStatus(NO_MFA, one(enforcing()))).toMatchObject({
      isEnforced: true,
      isRequired: true,
      setupRequired: true,
      requiredBy: 'organization',
      enforcementDeadline: deadline.toISOString(),
      enforcedBy: ['org-a'],
    });
  });

  it('a method the org does not allow does not satisfy enforcement', () => {
    const status = describeMfaStatus({ enabledMethods: ['MAGIC_LINK'], primaryMethod: 'MAGIC_LINK', backupCodesRemaining: 0 }, one(enforcing()));
    expect(status).toMatchObject({ isEnabled: true, setupRequired: true });
  });

  it('an active exemption lifts enforcement; an expired one does not', () => {
    expect(describeMfaStatus(NO_MFA, one(enforcing({ exemption: { expiresAt: deadline } })))).toMatchObject({
      exempt: true,
      isEnforced: false,
      isRequired: false,
      setupRequired: false,
      enforcementDeadline: null,
      enforcedBy: [],
    });
    expect(describeMfaStatus(NO_MFA, one(enforcing({ exemption: { expiresAt: now } })))).toMatchObject({ exempt: false, isEnforced: true });
    expect(describeMfaStatus(NO_MFA, one(enforcing({ exemption: { expiresAt: null } })))).toMatchObject({ exempt: true });
  });

  it('primaryMethod is always one of the enabled methods (or null)', () => {
    expect(describeMfaStatus({ enabledMethods: ['PASSKEY'], primaryMethod: 'GOOGLE_AUTH', backupCodesRemaining: 2 }, NO_USER_POLICY)).toMatchObject({
      primaryMethod: 'PASSKEY',
      backupCodesRemaining: 2,
    });
    expect(describeMfaStatus({ enabledMethods: [], primaryMethod: 'GOOGLE_AUTH', backupCodesRemaining: 0 }, NO_USER_POLICY).primaryMethod).toBeNull();
  });
});

describe('the policies of every organization (trust model: enforcement follows the person)', () => {
  const later = new Date('2026-04-01T00:00:00.000Z');
  // org-a enforces [GOOGLE_AUTH, PASSKEY]; org-b enforces with MAGIC_LINK allowed and a later deadline; org-c does not enforce.
  const policy = userPolicyOf(
    [
      { orgId: 'org-a', policy: enforcing() },
      { orgId: 'org-b', policy: enforcing({ allowedMethods: ['GOOGLE_AUTH', 'MAGIC_LINK'], enforcementDeadline: later }) },
      { orgId: 'org-c', policy: { enforced: false, enforcementDeadline: null, allowedMethods: ['MAGIC_LINK'], exemption: null } },
    ],
    now,
  );

  it('status: enforcedBy names each enforcing org; setup is required until every one is satisfied', () => {
    expect(describeMfaStatus(NO_MFA, policy)).toMatchObject({
      isEnforced: true,
      enforcedBy: ['org-a', 'org-b'],
      setupRequired: true,
      enforcementDeadline: deadline.toISOString(),
    });
    const passkeyOnly = describeMfaStatus({ enabledMethods: ['PASSKEY'], primaryMethod: 'PASSKEY', backupCodesRemaining: 0 }, policy);
    expect(passkeyOnly).toMatchObject({ setupRequired: true, enforcementDeadline: later.toISOString() });
    const totp = describeMfaStatus({ enabledMethods: ['GOOGLE_AUTH'], primaryMethod: 'GOOGLE_AUTH', backupCodesRemaining: 0 }, policy);
    expect(totp).toMatchObject({ setupRequired: false });
  });

  it('setup: only what every enforcing organization allows', () => {
    expect(policy.allowedMethods).toEqual(['GOOGLE_AUTH']);
    expect(mayConfigure(policy, 'MAGIC_LINK')).toBe(false);
    expect(mayConfigure(policy, 'PASSKEY')).toBe(false);
    expect(mayConfigure(one(null), 'MAGIC_LINK')).toBe(true);
  });

  it('login: the token org is the context; without one, the strictest enforcing org applies; backup codes follow GOOGLE_AUTH', () => {
    expect(allowedAtLogin(policy, 'org-b', 'MAGIC_LINK')).toBe(true);
    expect(allowedAtLogin(policy, 'org-a', 'MAGIC_LINK')).toBe(false);
    expect(allowedAtLogin(policy, 'org-c', 'MAGIC_LINK')).toBe(true);
    expect(allowedAtLogin(policy, null, 'MAGIC_LINK')).toBe(false);
    expect(allowedAtLogin(policy, null, 'GOOGLE_AUTH')).toBe(true);
    expect(allowedAtLogin(policy, 'org-a', 'BACKUP_CODE')).toBe(true);
    expect(allowedAtLogin(one(enforcing({ allowedMethods: ['PASSKEY'] })), 'org-a', 'BACKUP_CODE')).toBe(false);
  });
});
