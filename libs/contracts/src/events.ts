import { Topics } from './topics';
import type { EventEnvelope } from './envelope';

/** Methods as they appear in event data. */
export type MfaMethodName = 'GOOGLE_AUTH' | 'MAGIC_LINK' | 'PASSKEY';
export type VerificationMethodName = MfaMethodName | 'BACKUP_CODE';

// ---- data of each published event (schema version 1) -------------------------------------

export interface OrgMfaEnforcedData {
  orgId: string;
  enforcedBy: string;
  gracePeriodDays: number;
  enforcementDeadline: string | null;
  allowedMethods: MfaMethodName[];
  affectedUsers: number;
}
export interface OrgMfaEnforcementLiftedData {
  orgId: string;
  liftedBy: string;
}
export interface UserMfaExemptionGrantedData {
  orgId: string;
  userId: string;
  grantedBy: string;
  reason: string;
  expiresAt: string | null;
}
/** The revoked exemption as it was granted, plus who revoked it. */
export interface UserMfaExemptionRevokedData {
  orgId: string;
  userId: string;
  grantedBy: string;
  reason: string;
  expiresAt: string | null;
  revokedBy: string;
}
export interface UserMfaSetupRequiredData {
  userId: string;
  orgId: string;
  deadline: string | null;
}
export interface UserMfaEnforcementDeadlinePassedData {
  userId: string;
  orgId: string;
}
export interface MfaMethodSetupStartedData {
  userId: string;
  orgId: string | null;
  method: MfaMethodName;
}
export interface MfaMethodEnabledData {
  userId: string;
  orgId: string | null;
  method: MfaMethodName;
  isPrimary: boolean;
  enabledMethods: MfaMethodName[];
}
export interface MfaMethodDisabledData {
  userId: string;
  orgId: string | null;
  method: MfaMethodName;
  enabledMethods: MfaMethodName[];
}
export interface MfaPrimaryMethodChangedData {
  userId: string;
  orgId: string | null;
  method: MfaMethodName | null;
  previous: MfaMethodName | null;
}
export interface MfaResetData {
  userId: string;
  /** The authorizing organization: the admin's, or the user's token organization for a self-reset. */
  orgId: string | null;
  /** Every organization the user belonged to when reset (absent on events stored before it existed). */
  orgIds?: string[];
  resetBy: string;
  selfService: boolean;
}
export interface BackupCodesRegeneratedData {
  userId: string;
  orgId: string | null;
  count: number;
}
export interface MfaVerificationSucceededData {
  userId: string;
  orgId: string | null;
  method: VerificationMethodName;
}
export interface MfaVerificationFailedData {
  userId: string;
  orgId: string | null;
  method: VerificationMethodName;
  reason: string;
}
/** Schema version 2: `until` is null at the hard stop (only an admin reset unlocks); `failures` and `family` added. */
export interface MfaLockedOutData {
  userId: string;
  orgId: string | null;
  until: string | null;
  /** Consecutive failures of the family so far. */
  failures: number;
  /** `codes` (GOOGLE_AUTH + BACKUP_CODE), `passkey`, `magicLink` or `trustedDevice`. */
  family: string;
}
export interface MagicLinkRequestedData {
  userId: string;
  email: string;
  purpose: 'setup' | 'login';
  link: string;
  expiresAt: string;
}

export interface EventDataByType {
  OrgMfaEnforced: OrgMfaEnforcedData;
  OrgMfaEnforcementLifted: OrgMfaEnforcementLiftedData;
  UserMfaExemptionGranted: UserMfaExemptionGrantedData;
  UserMfaExemptionRevoked: UserMfaExemptionRevokedData;
  UserMfaSetupRequired: UserMfaSetupRequiredData;
  UserMfaEnforcementDeadlinePassed: UserMfaEnforcementDeadlinePassedData;
  MfaMethodSetupStarted: MfaMethodSetupStartedData;
  MfaMethodEnabled: MfaMethodEnabledData;
  MfaMethodDisabled: MfaMethodDisabledData;
  MfaPrimaryMethodChanged: MfaPrimaryMethodChangedData;
  MfaReset: MfaResetData;
  BackupCodesRegenerated: BackupCodesRegeneratedData;
  MfaVerificationSucceeded: MfaVerificationSucceededData;
  MfaVerificationFailed: MfaVerificationFailedData;
  MfaLockedOut: MfaLockedOutData;
  MagicLinkRequested: MagicLinkRequestedData;
}

export type EventType = keyof EventDataByType;
export type MfaEvent<T extends EventType = EventType> = { [K in T]: EventEnvelope<K, EventDataByType[K]> }[T];

// ---- catalogue: topic, schema version and field rules of each event ------------------------

type FieldRule =
  | 'string[]?'
  | 'string'
  | 'string|null'
  | 'datetime'
  | 'datetime|null'
  | 'integer'
  | 'boolean'
  | 'method'
  | 'method|null'
  | 'method[]'
  | 'verificationMethod'
  | 'purpose';

export interface EventDefinition {
  topic: string;
  schemaVersion: number;
  aggregate: 'org' | 'user';
  /** Delivery events carry what a consumer needs to act (an email, a link): never replayed. */
  replayable: boolean;
  fields: Record<string, FieldRule>;
}

const org = (fields: Record<string, FieldRule>): EventDefinition => ({
  topic: Topics.orgPolicy,
  schemaVersion: 1,
  aggregate: 'org',
  replayable: true,
  fields,
});
const user = (fields: Record<string, FieldRule>): EventDefinition => ({
  topic: Topics.userMfa,
  schemaVersion: 1,
  aggregate: 'user',
  replayable: true,
  fields,
});

export const EVENT_CATALOGUE: Record<EventType, EventDefinition> = {
  OrgMfaEnforced: org({
    orgId: 'string',
    enforcedBy: 'string',
    gracePeriodDays: 'integer',
    enforcementDeadline: 'datetime|null',
    allowedMethods: 'method[]',
    affectedUsers: 'integer',
  }),
  OrgMfaEnforcementLifted: org({ orgId: 'string', liftedBy: 'string' }),
  UserMfaExemptionGranted: org({ orgId: 'string', userId: 'string', grantedBy: 'string', reason: 'string', expiresAt: 'datetime|null' }),
  UserMfaExemptionRevoked: org({ orgId: 'string', userId: 'string', grantedBy: 'string', reason: 'string', expiresAt: 'datetime|null', revokedBy: 'string' }),
  UserMfaSetupRequired: user({ userId: 'string', orgId: 'string', deadline: 'datetime|null' }),
  UserMfaEnforcementDeadlinePassed: user({ userId: 'string', orgId: 'string' }),
  MfaMethodSetupStarted: user({ userId: 'string', orgId: 'string|null', method: 'method' }),
  MfaMethodEnabled: user({ userId: 'string', orgId: 'string|null', method: 'method', isPrimary: 'boolean', enabledMethods: 'method[]' }),
  MfaMethodDisabled: user({ userId: 'string', orgId: 'string|null', method: 'method', enabledMethods: 'method[]' }),
  MfaPrimaryMethodChanged: user({ userId: 'string', orgId: 'string|null', method: 'method|null', previous: 'method|null' }),
  MfaReset: user({ userId: 'string', orgId: 'string|null', orgIds: 'string[]?', resetBy: 'string', selfService: 'boolean' }),
  BackupCodesRegenerated: user({ userId: 'string', orgId: 'string|null', count: 'integer' }),
  MfaVerificationSucceeded: user({ userId: 'string', orgId: 'string|null', method: 'verificationMethod' }),
  MfaVerificationFailed: user({ userId: 'string', orgId: 'string|null', method: 'verificationMethod', reason: 'string' }),
  MfaLockedOut: { ...user({ userId: 'string', orgId: 'string|null', until: 'datetime|null', failures: 'integer', family: 'string' }), schemaVersion: 2 },
  MagicLinkRequested: {
    topic: Topics.delivery,
    schemaVersion: 1,
    aggregate: 'user',
    replayable: false,
    fields: { userId: 'string', email: 'string', purpose: 'purpose', link: 'string', expiresAt: 'datetime' },
  },
};

export function isEventType(type: unknown): type is EventType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(EVENT_CATALOGUE, type);
}

const METHODS = ['GOOGLE_AUTH', 'MAGIC_LINK', 'PASSKEY'];
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function checkField(rule: FieldRule, value: unknown): boolean {
  switch (rule) {
    case 'string[]?':
      return value === undefined || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    case 'string':
      return typeof value === 'string';
    case 'string|null':
      return value === null || typeof value === 'string';
    case 'datetime':
      return typeof value === 'string' && ISO_DATETIME.test(value);
    case 'datetime|null':
      return value === null || (typeof value === 'string' && ISO_DATETIME.test(value));
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'method':
      return METHODS.includes(value as string);
    case 'method|null':
      return value === null || METHODS.includes(value as string);
    case 'method[]':
      return Array.isArray(value) && value.every((m) => METHODS.includes(m));
    case 'verificationMethod':
      return METHODS.includes(value as string) || value === 'BACKUP_CODE';
    case 'purpose':
      return value === 'setup' || value === 'login';
  }
}

/** Problems with an event's data against its schema; empty when valid. Extra fields are allowed (additive evolution). */
export function validateEventData(type: EventType, data: unknown): string[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return ['data must be an object'];
  const record = data as Record<string, unknown>;
  return Object.entries(EVENT_CATALOGUE[type].fields)
    .filter(([field, rule]) => !checkField(rule, record[field]))
    .map(([field, rule]) => `${field} must be ${rule}`);
}

/** Narrows a decoded envelope to one event type, checking its schema version and data. */
export function isEvent<T extends EventType>(envelope: EventEnvelope, type: T): envelope is MfaEvent<T> {
  return (
    envelope.type === type &&
    envelope.schemaversion === EVENT_CATALOGUE[type].schemaVersion &&
    validateEventData(type, envelope.data).length === 0
  );
}

/** JSON Schema (2020-12) of an event's data, generated from the catalogue for documentation and other languages. */
export function jsonSchemaOf(type: EventType): Record<string, unknown> {
  const definition = EVENT_CATALOGUE[type];
  const schemaOf = (rule: FieldRule): Record<string, unknown> => {
    const nullable = rule.endsWith('|null');
    const base = rule.replace('|null', '');
    const core: Record<string, unknown> =
      base === 'string[]?'
        ? { type: 'array', items: { type: 'string' } }
        : base === 'datetime'
        ? { type: 'string', format: 'date-time' }
        : base === 'method'
          ? { enum: METHODS }
          : base === 'method[]'
            ? { type: 'array', items: { enum: METHODS } }
            : base === 'verificationMethod'
              ? { enum: [...METHODS, 'BACKUP_CODE'] }
              : base === 'purpose'
                ? { enum: ['setup', 'login'] }
                : { type: base };
    return nullable ? { anyOf: [core, { type: 'null' }] } : core;
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `urn:mfa-service:event:${type}:v${definition.schemaVersion}`,
    title: type,
    type: 'object',
    required: Object.entries(definition.fields)
      .filter(([, rule]) => !rule.endsWith('?'))
      .map(([field]) => field),
    properties: Object.fromEntries(Object.entries(definition.fields).map(([f, r]) => [f, schemaOf(r)])),
  };
}
