import { decodeEvent, encodeEvent, EventDecodeError, EventEnvelope } from './envelope';
import { isEvent, jsonSchemaOf, validateEventData } from './events';

const envelope: EventEnvelope = {
  id: '01890a5d-ac96-774b-bcce-b302099a8057',
  source: 'mfa-service',
  type: 'OrgMfaEnforcementLifted',
  specversion: '1.0',
  time: '2026-01-01T00:00:00.000Z',
  subject: 'org-1',
  datacontenttype: 'application/json',
  dataschema: 'urn:mfa-service:event:OrgMfaEnforcementLifted:v1',
  schemaversion: 1,
  sequence: 4,
  orgid: 'org-1',
  correlationid: 'req-1',
  causationid: 'req-1',
  actorid: 'admin',
  actortype: 'admin',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  data: { orgId: 'org-1', liftedBy: 'admin' },
};

describe('CloudEvents binary mode on Kafka', () => {
  it('round-trips an envelope through headers, key and value', () => {
    const record = encodeEvent(envelope);
    expect(record.key).toBe('org-1');
    expect(record.headers).toMatchObject({ ce_id: envelope.id, ce_sequence: '4', ce_specversion: '1.0', 'content-type': 'application/json' });
    expect(record.headers.ce_replay).toBeUndefined();
    const decoded = decodeEvent({ key: record.key, value: record.value, headers: record.headers });
    expect(decoded).toEqual({ ...envelope, userid: undefined, replay: undefined });
    expect(isEvent(decoded, 'OrgMfaEnforcementLifted')).toBe(true);
    expect(isEvent(decoded, 'OrgMfaEnforced')).toBe(false);
  });

  it('marks replays', () => {
    const record = encodeEvent({ ...envelope, replay: true });
    expect(record.headers.ce_replay).toBe('true');
    expect(decodeEvent(record).replay).toBe(true);
  });

  it.each([
    ['a missing id', { ce_id: undefined }, 'missing header ce_id'],
    ['another spec version', { ce_specversion: '0.3' }, 'unsupported specversion 0.3'],
    ['a non-numeric sequence', { ce_sequence: 'x' }, 'invalid ce_sequence'],
  ])('rejects %s', (_name, headerOverrides, reason) => {
    const record = encodeEvent(envelope);
    const headers = { ...record.headers, ...headerOverrides } as Record<string, string>;
    expect(() => decodeEvent({ ...record, headers })).toThrow(new EventDecodeError(reason));
  });

  it('rejects a value that is not JSON', () => {
    expect(() => decodeEvent({ ...encodeEvent(envelope), value: Buffer.from('{nope') })).toThrow('record value is not JSON');
  });

  it('validates event data against the catalogue and exports JSON Schema', () => {
    expect(validateEventData('OrgMfaEnforced', { orgId: 'o' })).toContain('enforcedBy must be string');
    expect(validateEventData('MfaMethodEnabled', { userId: 'u', orgId: null, method: 'SMS', isPrimary: true, enabledMethods: [] })).toEqual([
      'method must be method',
    ]);
    expect(jsonSchemaOf('MfaLockedOut')).toMatchObject({
      $id: 'urn:mfa-service:event:MfaLockedOut:v2',
      required: ['userId', 'orgId', 'until', 'failures', 'family'],
      properties: { until: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] } },
    });
    expect(jsonSchemaOf('MfaReset')).toMatchObject({ required: ['userId', 'orgId', 'resetBy', 'selfService'], properties: { orgIds: { type: 'array' } } });
  });
});
