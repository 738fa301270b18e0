import { EVENT_CATALOGUE, EventType, jsonSchemaOf } from './events';
import { MEMBERSHIP_EVENT_FIELDS, MEMBERSHIP_SCHEMA_VERSION, MembershipEventType } from './membership-events';
import { Topics } from './topics';

type Json = Record<string, unknown>;

const KAFKA_BINDING_VERSION = '0.5.0';

/** CloudEvents 1.0 attributes as Kafka headers (binary content mode), as encodeEvent writes them. */
const CLOUD_EVENT_HEADERS: Json = {
  type: 'object',
  description: 'CloudEvents 1.0 in Kafka binary content mode: attributes as ce_* headers, data as the JSON record value.',
  required: ['ce_id', 'ce_source', 'ce_type', 'ce_specversion', 'ce_time', 'ce_subject', 'ce_schemaversion', 'ce_sequence', 'content-type'],
  properties: {
    'content-type': { type: 'string', const: 'application/json' },
    ce_id: { type: 'string', description: 'UUIDv7; consumers de-duplicate on it' },
    ce_source: { type: 'string' },
    ce_type: { type: 'string' },
    ce_specversion: { type: 'string', const: '1.0' },
    ce_time: { type: 'string', format: 'date-time' },
    ce_subject: { type: 'string', description: 'The aggregate id, also the record key' },
    ce_dataschema: { type: 'string', description: 'urn:mfa-service:event:<type>:v<schemaversion>' },
    ce_schemaversion: { type: 'string', pattern: '^[1-9][0-9]*$' },
    ce_sequence: {
      type: 'string',
      pattern: '^[1-9][0-9]*$',
      description: 'Per key and topic: 1, 2, 3… without gaps (a missing number is a lost record)',
    },
    ce_orgid: { type: 'string' },
    ce_userid: { type: 'string' },
    ce_correlationid: { type: 'string' },
    ce_causationid: { type: 'string' },
    ce_actorid: { type: 'string' },
    ce_actortype: { type: 'string', enum: ['user', 'admin', 'system'] },
    ce_traceparent: { type: 'string', description: 'W3C trace context' },
    ce_replay: { type: 'string', const: 'true', description: 'Only on records re-published by mfa-ops replay' },
  },
};

const CHANNELS = {
  orgPolicy: { topic: Topics.orgPolicy, key: 'orgId', description: 'Organization policy events (key: orgId).' },
  userMfa: { topic: Topics.userMfa, key: 'userId', description: 'Per-user method and verification events (key: userId).' },
  delivery: {
    topic: Topics.delivery,
    key: 'userId',
    description: 'Requests for the notification service to deliver something (magic links). Sensitive: restrict ACLs. Never replayed.',
  },
  membership: { topic: Topics.membership, key: 'userId', description: 'Consumed: membership events from the identity service (malformed records go to .dlq).' },
} as const;
type ChannelName = keyof typeof CHANNELS;

/** JSON Schema of event data without the standalone-document keywords. */
function payloadOf(type: EventType): Json {
  const { $schema: _schema, $id: _id, ...schema } = jsonSchemaOf(type);
  return schema;
}

function membershipPayloadOf(type: MembershipEventType): Json {
  const fields = MEMBERSHIP_EVENT_FIELDS[type];
  const schemaOf = (rule: string): Json =>
    rule === 'integer' ? { type: 'integer' } : rule === 'datetime?' ? { type: ['string', 'null'], format: 'date-time' } : { type: 'string', minLength: 1 };
  return {
    title: type,
    type: 'object',
    required: Object.entries(fields)
      .filter(([, rule]) => rule !== 'datetime?')
      .map(([field]) => field),
    properties: Object.fromEntries(Object.entries(fields).map(([field, rule]) => [field, schemaOf(rule)])),
  };
}

function message(type: string, channel: ChannelName, schemaVersion: number, payload: Json): Json {
  return {
    name: type,
    title: type,
    summary: `${type} (schema version ${schemaVersion})`,
    contentType: 'application/json',
    headers: {
      allOf: [
        { $ref: '#/components/schemas/CloudEventHeaders' },
        { type: 'object', properties: { ce_type: { const: type }, ce_schemaversion: { const: String(schemaVersion) } } },
      ],
    },
    payload,
    bindings: { kafka: { key: { type: 'string', description: CHANNELS[channel].key }, bindingVersion: KAFKA_BINDING_VERSION } },
  };
}

/**
 * AsyncAPI 3.0 description of the three topics mfa-service publishes and the one it consumes,
 * generated from the catalogue in this library (the same definitions the service validates with).
 */
export function asyncApiDocument(): Json {
  const messages: Json = {};
  const byChannel: Record<ChannelName, string[]> = { orgPolicy: [], userMfa: [], delivery: [], membership: [] };
  for (const [type, definition] of Object.entries(EVENT_CATALOGUE) as Array<[EventType, (typeof EVENT_CATALOGUE)[EventType]]>) {
    const channel = (Object.keys(CHANNELS) as ChannelName[]).find((name) => CHANNELS[name].topic === definition.topic)!;
    messages[type] = message(type, channel, definition.schemaVersion, payloadOf(type));
    byChannel[channel].push(type);
  }
  for (const type of Object.keys(MEMBERSHIP_EVENT_FIELDS) as MembershipEventType[]) {
    messages[type] = message(type, 'membership', MEMBERSHIP_SCHEMA_VERSION, membershipPayloadOf(type));
    byChannel.membership.push(type);
  }
  const channels: Json = {};
  const operations: Json = {};
  for (const name of Object.keys(CHANNELS) as ChannelName[]) {
    const { topic, description } = CHANNELS[name];
    channels[name] = {
      address: topic,
      description,
      messages: Object.fromEntries(byChannel[name].map((type) => [type, { $ref: `#/components/messages/${type}` }])),
      bindings: { kafka: { topic, bindingVersion: KAFKA_BINDING_VERSION } },
    };
    const consumed = name === 'membership';
    operations[consumed ? 'consumeMembership' : `publish${name[0].toUpperCase()}${name.slice(1)}`] = {
      action: consumed ? 'receive' : 'send',
      channel: { $ref: `#/channels/${name}` },
      summary: consumed ? `mfa-service consumes ${topic}` : `mfa-service publishes to ${topic} (transactional outbox, idempotent producer, acks=all)`,
      messages: byChannel[name].map((type) => ({ $ref: `#/channels/${name}/messages/${type}` })),
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'mfa-service events',
      version: '1',
      description:
        'CloudEvents 1.0 on Kafka in binary content mode. Key = aggregate id, so one org’s or one user’s events stay in order on one partition. ' +
        'At-least-once: de-duplicate on ce_id. Contract: shared/spec/events.md; encoding: docs/events.md.',
    },
    defaultContentType: 'application/json',
    servers: { kafka: { host: 'localhost:9092', protocol: 'kafka', description: 'The brokers of KAFKA_BROKERS' } },
    channels,
    operations,
    components: { schemas: { CloudEventHeaders: CLOUD_EVENT_HEADERS }, messages },
  };
}
