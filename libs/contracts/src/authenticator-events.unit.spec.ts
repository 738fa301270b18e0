import { EVENT_CATALOGUE, jsonSchemaOf, validateEventData } from './events';
import { Topics } from './topics';

describe('contracts: authenticator and trusted-device events (issue 14)', () => {
  it('are user-mfa events, replayable, schema version 1', () => {
    for (const type of ['MfaAuthenticatorRemoved', 'MfaAuthenticatorRenamed', 'TrustedDeviceRegistered', 'TrustedDeviceRevoked'] as const) {
      expect(EVENT_CATALOGUE[type]).toMatchObject({ topic: Topics.userMfa, aggregate: 'user', replayable: true, schemaVersion: 1 });
    }
  });

  it('validate their data: authenticator types, optional orgIds, datetimes', () => {
    const removed = { userId: 'u', orgId: null, authenticatorId: 'pk-1', type: 'PASSKEY', removedBy: 'u' };
    expect(validateEventData('MfaAuthenticatorRemoved', removed)).toEqual([]);
    expect(validateEventData('MfaAuthenticatorRemoved', { ...removed, orgIds: ['o'] })).toEqual([]);
    expect(validateEventData('MfaAuthenticatorRemoved', { ...removed, type: 'BACKUP_CODE', orgIds: 'o' })).toEqual([
      'orgIds must be string[]?',
      'type must be authenticatorType',
    ]);
    expect(validateEventData('MfaAuthenticatorRenamed', { userId: 'u', orgId: 'o', authenticatorId: 'totp', type: 'GOOGLE_AUTH', name: 'Authy' })).toEqual([]);
    expect(validateEventData('TrustedDeviceRegistered', { userId: 'u', orgId: 'o', deviceId: 'td-1', expiresAt: 'soon' })).toEqual([
      'expiresAt must be datetime',
    ]);
    expect(validateEventData('TrustedDeviceRevoked', { userId: 'u', orgId: 'o', deviceId: 'td-1', reason: 'user' })).toEqual([]);
    expect(validateEventData('MfaVerificationSucceeded', { userId: 'u', orgId: 'o', method: 'TRUSTED_DEVICE' })).toEqual([]);
    expect(
      validateEventData('OrgMfaEnforced', { orgId: 'o', enforcedBy: 'a', gracePeriodDays: 0, enforcementDeadline: null, allowedMethods: [], affectedUsers: 0 }),
    ).toEqual([]);
    expect(
      validateEventData('OrgMfaEnforced', {
        orgId: 'o',
        enforcedBy: 'a',
        gracePeriodDays: 0,
        enforcementDeadline: null,
        allowedMethods: [],
        affectedUsers: 0,
        rememberDeviceDays: 1.5,
      }),
    ).toEqual(['rememberDeviceDays must be integer?']);
  });

  it('have JSON Schemas without secrets (no token, hash or key field)', () => {
    expect(jsonSchemaOf('MfaAuthenticatorRemoved')).toMatchObject({
      required: ['userId', 'orgId', 'authenticatorId', 'type', 'removedBy'],
      properties: { type: { enum: ['GOOGLE_AUTH', 'MAGIC_LINK', 'PASSKEY', 'BACKUP_CODES'] }, orgIds: { type: 'array' } },
    });
    expect(jsonSchemaOf('OrgMfaEnforced')).toMatchObject({ properties: { rememberDeviceDays: { type: 'integer' } } });
    expect(jsonSchemaOf('OrgMfaEnforced').required).not.toContain('rememberDeviceDays');
    for (const type of ['TrustedDeviceRegistered', 'TrustedDeviceRevoked'] as const) {
      expect(Object.keys(jsonSchemaOf(type).properties as object).join()).not.toMatch(/token|hash|key/i);
    }
  });
});
