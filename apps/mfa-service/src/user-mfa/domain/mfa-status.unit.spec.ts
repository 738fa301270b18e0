import { describeMfaStatus, NO_MFA, OrgPolicySnapshot } from './mfa-status';

const now = new Date('2026-03-01T00:00:00.000Z');
const deadline = new Date('2026-03-08T00:00:00.000Z');
const enforcing = (over: Partial<OrgPolicySnapshot> = {}): OrgPolicySnapshot => ({
  enforced: true,
  enforcementDeadline: deadline,
  allowedMethods: ['GOOGLE_AUTH', 'PASSKEY'],
  exemption: null,
  ...over,
});

describe('MFA status rules (contract "meaning of the status fields")', () => {
  it('no MFA, no org: nothing required', () => {
    expect(describeMfaStatus(NO_MFA, null, now)).toEqual({
      isEnabled: false,
      isRequired: false,
      isEnforced: false,
      enabledMethods: [],
      primaryMethod: null,
      setupRequired: false,
      enforcementDeadline: null,
      exempt: false,
      requiredBy: null,
      backupCodesRemaining: 0,
    });
  });

  it('own MFA: required by the user', () => {
    const status = describeMfaStatus({ enabledMethods: ['PASSKEY'], primaryMethod: 'PASSKEY', backupCodesRemaining: 0 }, null, now);
    expect(status).toMatchObject({ isEnabled: true, isRequired: true, isEnforced: false, requiredBy: 'user' });
  });

  it('enforced without a method: setup required with the deadline', () => {
    expect(describeMfaStatus(NO_MFA, enforcing(), now)).toMatchObject({
      isEnforced: true,
      isRequired: true,
      setupRequired: true,
      requiredBy: 'organization',
      enforcementDeadline: deadline.toISOString(),
    });
  });

  it('a method the org does not allow does not satisfy enforcement', () => {
    const status = describeMfaStatus({ enabledMethods: ['MAGIC_LINK'], primaryMethod: 'MAGIC_LINK', backupCodesRemaining: 0 }, enforcing(), now);
    expect(status).toMatchObject({ isEnabled: true, setupRequired: true });
  });

  it('an active exemption lifts enforcement; an expired one does not', () => {
    expect(describeMfaStatus(NO_MFA, enforcing({ exemption: { expiresAt: deadline } }), now)).toMatchObject({ exempt: true, isEnforced: false, isRequired: false, setupRequired: false, enforcementDeadline: null });
    expect(describeMfaStatus(NO_MFA, enforcing({ exemption: { expiresAt: now } }), now)).toMatchObject({ exempt: false, isEnforced: true });
    expect(describeMfaStatus(NO_MFA, enforcing({ exemption: { expiresAt: null } }), now)).toMatchObject({ exempt: true });
  });

  it('primaryMethod is always one of the enabled methods (or null)', () => {
    expect(describeMfaStatus({ enabledMethods: ['PASSKEY'], primaryMethod: 'GOOGLE_AUTH', backupCodesRemaining: 2 }, null, now)).toMatchObject({ primaryMethod: 'PASSKEY', backupCodesRemaining: 2 });
    expect(describeMfaStatus({ enabledMethods: [], primaryMethod: 'GOOGLE_AUTH', backupCodesRemaining: 0 }, null, now).primaryMethod).toBeNull();
  });
});
