import type { EventEnvelope } from './envelope';

/**
 * Events mfa-service consumes from the identity service on `identity.membership.v1`.
 * Same envelope as our own events (CloudEvents 1.0, Kafka binary mode: `ce_*` headers,
 * JSON `data` as the value), key = userId, schema version 1. Extra fields are allowed.
 *
 * | type | data |
 * | --- | --- |
 * | UserJoinedOrganization | userId, orgId, role (integer), joinedAt? (ISO date-time), managed? (boolean, v2) |
 * | UserLeftOrganization | userId, orgId |
 * | UserRoleChanged | userId, orgId, role (integer), managed? (boolean, v2) |
 * | UserDeleted | userId |
 *
 * Schema version 2 adds `managed`: true when this organization manages the user's account (only
 * its admins may change the factors of a user who also belongs to other organizations). Version 1
 * events are still accepted and mean `managed: false`; a v2 event with a non-boolean `managed` is refused.
 */
export interface UserJoinedOrganizationData {
  userId: string;
  orgId: string;
  role: number;
  joinedAt?: string;
  managed?: boolean;
}
export interface UserLeftOrganizationData {
  userId: string;
  orgId: string;
}
export interface UserRoleChangedData {
  userId: string;
  orgId: string;
  role: number;
  managed?: boolean;
}
export interface UserDeletedData {
  userId: string;
}

export interface MembershipEventDataByType {
  UserJoinedOrganization: UserJoinedOrganizationData;
  UserLeftOrganization: UserLeftOrganizationData;
  UserRoleChanged: UserRoleChangedData;
  UserDeleted: UserDeletedData;
}

export type MembershipEventType = keyof MembershipEventDataByType;
export type MembershipEvent<T extends MembershipEventType = MembershipEventType> = {
  [K in T]: EventEnvelope<K, MembershipEventDataByType[K]>;
}[T];

export const MEMBERSHIP_SCHEMA_VERSION = 2;
/** Versions this service reads: 1 (no `managed`) and 2. */
export const MEMBERSHIP_SCHEMA_VERSIONS: readonly number[] = [1, 2];

type MembershipFieldRule = 'string' | 'integer' | 'datetime?' | 'boolean?';

export const MEMBERSHIP_EVENT_FIELDS: Record<MembershipEventType, Record<string, MembershipFieldRule>> = {
  UserJoinedOrganization: { userId: 'string', orgId: 'string', role: 'integer', joinedAt: 'datetime?', managed: 'boolean?' },
  UserLeftOrganization: { userId: 'string', orgId: 'string' },
  UserRoleChanged: { userId: 'string', orgId: 'string', role: 'integer', managed: 'boolean?' },
  UserDeleted: { userId: 'string' },
};

const RULE_TEXT: Record<MembershipFieldRule, string> = {
  string: 'a non-empty string',
  integer: 'an integer',
  'datetime?': 'an ISO date-time when present',
  'boolean?': 'a boolean when present',
};

const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function checkMembershipField(rule: MembershipFieldRule, value: unknown): boolean {
  switch (rule) {
    case 'string':
      return typeof value === 'string' && value.length > 0;
    case 'integer':
      return Number.isInteger(value);
    case 'datetime?':
      return value === undefined || value === null || (typeof value === 'string' && ISO_DATETIME.test(value));
    case 'boolean?':
      return value === undefined || typeof value === 'boolean';
  }
}

export function isMembershipEventType(type: unknown): type is MembershipEventType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(MEMBERSHIP_EVENT_FIELDS, type);
}

/**
 * Why a decoded envelope is not a valid membership event (unknown type, unsupported schema
 * version, bad time, missing or mistyped fields); empty when valid.
 */
export function validateMembershipEvent(envelope: EventEnvelope): string[] {
  if (!isMembershipEventType(envelope.type)) return [`unknown event type ${envelope.type}`];
  if (!MEMBERSHIP_SCHEMA_VERSIONS.includes(envelope.schemaversion)) {
    return [`unsupported schemaversion ${envelope.schemaversion} of ${envelope.type}`];
  }
  if (!ISO_DATETIME.test(envelope.time)) return ['ce_time must be an ISO date-time'];
  const data = envelope.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return ['data must be an object'];
  const record = data as Record<string, unknown>;
  return Object.entries(MEMBERSHIP_EVENT_FIELDS[envelope.type])
    .filter(([field, rule]) => !checkMembershipField(rule, record[field]))
    .map(([field, rule]) => `${field} must be ${RULE_TEXT[rule]}`);
}

export function isMembershipEvent(envelope: EventEnvelope): envelope is MembershipEvent {
  return validateMembershipEvent(envelope).length === 0;
}
