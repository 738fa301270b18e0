/**
 * CloudEvents 1.0 envelope of every event mfa-service publishes. On Kafka we use the
 * **binary content mode**: attributes travel as `ce_*` headers, `data` is the JSON record
 * value, and the record key is the aggregate id (`subject`).
 */
export type ActorType = 'user' | 'admin' | 'system';

export interface EventEnvelope<TType extends string = string, TData = unknown> {
  id: string;
  source: string;
  type: TType;
  specversion: '1.0';
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  dataschema: string;
  schemaversion: number;
  sequence: number;
  orgid?: string;
  userid?: string;
  correlationid?: string;
  causationid?: string;
  actorid?: string;
  actortype?: ActorType;
  traceparent?: string;
  replay?: boolean;
  data: TData;
}

/** Attributes carried as headers, in a fixed order. */
const STRING_ATTRIBUTES = [
  'id',
  'source',
  'type',
  'specversion',
  'time',
  'subject',
  'dataschema',
  'orgid',
  'userid',
  'correlationid',
  'causationid',
  'actorid',
  'actortype',
  'traceparent',
] as const;

export interface KafkaRecordLike {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export function dataSchemaUri(type: string, version: number): string {
  return `urn:mfa-service:event:${type}:v${version}`;
}

/** Envelope → Kafka record (binary mode). */
export function encodeEvent(envelope: EventEnvelope): KafkaRecordLike {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const name of STRING_ATTRIBUTES) {
    const value = envelope[name];
    if (value !== undefined && value !== null) headers[`ce_${name}`] = String(value);
  }
  headers.ce_schemaversion = String(envelope.schemaversion);
  headers.ce_sequence = String(envelope.sequence);
  if (envelope.replay) headers.ce_replay = 'true';
  return { key: envelope.subject, value: Buffer.from(JSON.stringify(envelope.data)), headers };
}

export class EventDecodeError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'EventDecodeError';
  }
}

type RawHeaders = Record<string, Buffer | string | Array<Buffer | string> | undefined> | undefined;

function header(headers: RawHeaders, name: string): string | undefined {
  const raw = headers?.[name];
  const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  return value === undefined ? undefined : value.toString();
}

/**
 * Kafka record (binary mode, as kafkajs hands it over) → envelope. Throws EventDecodeError
 * with a reason for anything that is not a well-formed mfa-service event.
 */
export function decodeEvent(record: { key?: Buffer | string | null; value: Buffer | string | null; headers?: RawHeaders }): EventEnvelope {
  const headers = record.headers;
  const required = (name: string): string => {
    const value = header(headers, `ce_${name}`);
    if (!value) throw new EventDecodeError(`missing header ce_${name}`);
    return value;
  };
  const specversion = required('specversion');
  if (specversion !== '1.0') throw new EventDecodeError(`unsupported specversion ${specversion}`);
  const sequence = Number(required('sequence'));
  const schemaversion = Number(required('schemaversion'));
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new EventDecodeError('invalid ce_sequence');
  if (!Number.isSafeInteger(schemaversion) || schemaversion < 1) throw new EventDecodeError('invalid ce_schemaversion');
  if (record.value === null || record.value === undefined) throw new EventDecodeError('empty record value');
  let data: unknown;
  try {
    data = JSON.parse(record.value.toString());
  } catch {
    throw new EventDecodeError('record value is not JSON');
  }
  const optional = (name: string) => header(headers, `ce_${name}`);
  const actortype = optional('actortype');
  return {
    id: required('id'),
    source: required('source'),
    type: required('type'),
    specversion: '1.0',
    time: required('time'),
    subject: required('subject'),
    datacontenttype: 'application/json',
    dataschema: required('dataschema'),
    schemaversion,
    sequence,
    orgid: optional('orgid'),
    userid: optional('userid'),
    correlationid: optional('correlationid'),
    causationid: optional('causationid'),
    actorid: optional('actorid'),
    actortype: actortype === 'user' || actortype === 'admin' || actortype === 'system' ? actortype : undefined,
    traceparent: optional('traceparent'),
    replay: optional('replay') === 'true' ? true : undefined,
    data,
  };
}
