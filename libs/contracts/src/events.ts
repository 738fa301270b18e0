import { Topics } from './topics';
import type { EventEnvelope } from './envelope';

/** Methods as they appear in event data: the one list the service, its API and consumers share. */
export const MFA_METHOD_NAMES = ['GOOGLE_AUTH', 'MAGIC_LINK', 'PASSKEY'] as const;
export type MfaMethodName = (typeof MFA_METHOD_NAMES)[number];
/** What a login can be verified with: a method, a backup code or a remembered device. */
export const VERIFICATION_METHOD_NAMES = [...MFA_METHOD_NAMES, 'BACKUP_CODE', 'TRUSTED_DEVICE'] as const;
export type VerificationMethodName = (typeof VERIFICATION_METHOD_NAMES)[number];
/** Authenticator types in MfaAuthenticatorRemoved / MfaAuthenticatorRenamed. */
export type AuthenticatorTypeName = MfaMethodName | 'BACKUP_CODES';

// ---- data of each published event (schema version 1) -------------------------------------

export interface OrgMfaEnforcedData {
  orgId: string;
  enforcedBy: string;
  gracePeriodDays: number;
  enforcementDeadline: string | null;
  allowedMethods: MfaMethodName[];
  affectedUsers: number;
  /** Days a device may be remembered (0 = off); absent on events stored before it existed. */
  rememberDeviceDays?: number;
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
/** One passkey, the authenticator app or the email address removed, by the user or an admin. */
export interface MfaAuthenticatorRemovedData {
  userId: string;
  orgId: string | null;
  /** An admin removal: every organization the user belonged to. */
  orgIds?: string[];
  authenticatorId: string;
  type: AuthenticatorTypeName;
  removedBy: string;
}
export interface MfaAuthenticatorRenamedData {
  userId: string;
  orgId: string | null;
  authenticatorId: string;
  type: AuthenticatorTypeName;
  name: string;
}
/** "Remember this device" granted (never the token or its hash). */
export interface TrustedDeviceRegisteredData {
  userId: string;
  orgId: string | null;
  deviceId: string;
  expiresAt: string;
}
/** `reason`: `user`, `admin`, `mfa_reset`, `factor_removed` (the factor that created it) or `evicted` (over 20 devices). */
export interface TrustedDeviceRevokedData {
  userId: string;
  orgId: string | null;
  deviceId: string;
  reason: string;
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
  MfaAuthenticatorRemoved: MfaAuthenticatorRemovedData;
  MfaAuthenticatorRenamed: MfaAuthenticatorRenamedData;
  TrustedDeviceRegistered: TrustedDeviceRegisteredData;
  TrustedDeviceRevoked: TrustedDeviceRevokedData;
}

export type EventType = keyof EventDataByType;
export type MfaEvent<T extends EventType = EventType> = { [K in T]: EventEnvelope<K, EventDataByType[K]> }[T];

// ---- catalogue: topic, schema version and field rules of each event ------------------------

type FieldRule =
  | 'string[]?'
  | 'integer?'
  | 'authenticatorType'
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
    rememberDeviceDays: 'integer?',
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
  MfaAuthenticatorRemoved: user({
    userId: 'string',
    orgId: 'string|null',
    orgIds: 'string[]?',
    authenticatorId: 'string',
    type: 'authenticatorType',
    removedBy: 'string',
  }),
  MfaAuthenticatorRenamed: user({ userId: 'string', orgId: 'string|null', authenticatorId: 'string', type: 'authenticatorType', name: 'string' }),
  TrustedDeviceRegistered: user({ userId: 'string', orgId: 'string|null', deviceId: 'string', expiresAt: 'datetime' }),
  TrustedDeviceRevoked: user({ userId: 'string', orgId: 'string|null', deviceId: 'string', reason: 'string' }),
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

const METHODS: string[] = [...MFA_METHOD_NAMES];
const VERIFICATION_METHODS: string[] = [...VERIFICATION_METHOD_NAMES];
const AUTHENTICATOR_TYPES = [...METHODS, 'BACKUP_CODES'];
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function checkField(rule: FieldRule, value: unknown): boolean {
  switch (rule) {
    case 'string[]?':
      return value === undefined || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    case 'integer?':
      return value === undefined || Number.isInteger(value);
    case 'authenticatorType':
      return AUTHENTICATOR_TYPES.includes(value as string);
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
      return VERIFICATION_METHODS.includes(value as string);
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
  return envelope.type === type && envelope.schemaversion === EVENT_CATALOGUE[type].schemaVersion && validateEventData(type, envelope.data).length === 0;
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
        : base === 'integer?'
          ? { type: 'integer' }
          : base === 'authenticatorType'
            ? { enum: AUTHENTICATOR_TYPES }
            : base === 'datetime'
              ? { type: 'string', format: 'date-time' }
              : base === 'method'
                ? { enum: METHODS }
                : base === 'method[]'
                  ? { type: 'array', items: { enum: METHODS } }
                  : base === 'verificationMethod'
                    ? { enum: VERIFICATION_METHODS }
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
