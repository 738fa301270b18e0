import { Topics } from '@mfa/contracts';
import type { StoredEvent } from '@mfa/persistence';
import { randomUUID } from 'node:crypto';

/**
 * A user aggregate's event as its outbox stores it (an `MfaVerificationFailed`), for suites that seed
 * outboxes directly to exercise the relay; `reason` lets a suite make it as large as it needs.
 */
export function storedUserEvent(userId: string, options: { sequence?: number; topic?: string; reason?: string } = {}): StoredEvent {
  const sequence = options.sequence ?? 1;
  return {
    id: randomUUID(),
    type: 'MfaVerificationFailed',
    topic: options.topic ?? Topics.userMfa,
    key: userId,
    aggregate: 'user',
    sequence,
    topicSequence: sequence,
    time: new Date(),
    schemaVersion: 1,
    orgId: null,
    userId,
    correlationId: randomUUID(),
    causationId: randomUUID(),
    actorId: userId,
    actorType: 'user',
    data: { userId, orgId: null, method: 'GOOGLE_AUTH', reason: options.reason ?? 'INVALID_CODE' },
    replayable: true,
  };
}
