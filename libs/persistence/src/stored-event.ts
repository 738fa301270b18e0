export type { Decision, DomainEvent } from '@mfa/common/domain/decision';
import { ActorType, dataSchemaUri, EVENT_CATALOGUE, EventEnvelope, EventType } from '@mfa/contracts';

/** Who and what caused a command: copied onto every event it produces. */
export interface CommandMeta {
  correlationId: string;
  causationId: string;
  actorId: string;
  actorType: ActorType;
  traceparent?: string;
}

/** Where a request came from, before its actor is known (a public route). */
export type RequestMeta = Omit<CommandMeta, 'actorId' | 'actorType'>;

/**
 * An event as stored: first in its aggregate's outbox (same document as the state, so the
 * two are written atomically), then in the append-only event log once published.
 */
export interface StoredEvent {
  id: string;
  type: EventType;
  topic: string;
  key: string;
  aggregate: 'org' | 'user';
  /** Position in the aggregate's outbox, across its topics (the relay publishes and drains by it). */
  sequence: number;
  /** The envelope's `sequence`: per key and topic, without gaps (absent on events stored before it existed). */
  topicSequence?: number;
  time: Date;
  schemaVersion: number;
  orgId: string | null;
  userId: string | null;
  correlationId: string;
  causationId: string;
  actorId: string;
  actorType: ActorType;
  traceparent?: string;
  data: Record<string, unknown>;
  replayable: boolean;
}

/** The event log's document: the stored event keyed by its id, with when it was first published. */
export interface EventLogDocument extends StoredEvent {
  _id: string;
  publishedAt: Date;
}

export const EVENT_LOG_COLLECTION = 'event_log';

export function toEnvelope(event: StoredEvent, source: string, replay = false): EventEnvelope {
  return {
    id: event.id,
    source,
    type: event.type,
    specversion: '1.0',
    time: event.time.toISOString(),
    subject: event.key,
    datacontenttype: 'application/json',
    dataschema: dataSchemaUri(event.type, event.schemaVersion),
    schemaversion: event.schemaVersion,
    sequence: event.topicSequence ?? event.sequence,
    orgid: event.orgId ?? undefined,
    userid: event.userId ?? undefined,
    correlationid: event.correlationId,
    causationid: event.causationId,
    actorid: event.actorId,
    actortype: event.actorType,
    traceparent: event.traceparent,
    replay: replay || undefined,
    data: event.data,
  };
}

export function definitionOf(type: EventType) {
  return EVENT_CATALOGUE[type];
}
