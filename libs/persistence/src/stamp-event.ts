import { uuidv7 } from '@mfa/common/ids/uuid-v7';
import type { DomainEvent } from '@mfa/common/domain/decision';
import { CommandMeta, definitionOf, StoredEvent } from './stored-event';
import { nextTopicSequences, SequencedRead } from './topic-sequences';

/**
 * Gives a decided event its identity, time, position and routing: used by the aggregate store
 * on commit and by writers that append to many aggregates' outboxes directly (the enforcement
 * fan-out) instead of one aggregate per command.
 */
export function stampEvent(
  aggregate: 'org' | 'user',
  key: string,
  event: DomainEvent,
  sequence: number,
  meta: CommandMeta,
  time: Date,
  topicSequence?: number,
): StoredEvent {
  const definition = definitionOf(event.type);
  // Stored as a plain document: the typed data read field by field (not every event has both ids).
  const data: Record<string, unknown> = { ...event.data };
  const orgId = typeof data['orgId'] === 'string' ? (data['orgId'] as string) : null;
  const userId = typeof data['userId'] === 'string' ? (data['userId'] as string) : null;
  return {
    id: uuidv7(time.getTime()),
    type: event.type,
    topic: definition.topic,
    key,
    aggregate,
    sequence,
    ...(topicSequence !== undefined ? { topicSequence } : {}),
    time,
    schemaVersion: definition.schemaVersion,
    orgId,
    userId,
    correlationId: meta.correlationId,
    causationId: meta.causationId,
    actorId: meta.actorId,
    actorType: meta.actorType,
    ...(meta.traceparent ? { traceparent: meta.traceparent } : {}),
    data,
    replayable: definition.replayable,
  };
}

/**
 * Stamps the events one write appends after `read`: outbox positions continue `lastSequence`,
 * and each event takes its topic's next sequence (topic-sequences.ts).
 */
export function stampEvents(aggregate: 'org' | 'user', key: string, events: DomainEvent[], read: SequencedRead, meta: CommandMeta, time: Date): StoredEvent[] {
  const { sequences } = nextTopicSequences(
    read,
    events.map((event) => definitionOf(event.type).topic),
  );
  return events.map((event, index) => stampEvent(aggregate, key, event, read.lastSequence + index + 1, meta, time, sequences[index]));
}
