import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig, AppError } from '@mfa/common';
import type { EventType } from '@mfa/contracts';
import type { StoredEvent } from '@mfa/persistence';
import { SealedSecret, SecretBox } from '../user-mfa/factors/secret-box';

/**
 * Event fields that must not sit readable in the database while an event waits in an outbox:
 * a magic link carries a live single-use token (only its hash is kept anywhere else). They are
 * sealed with AES-256-GCM (MFA_ENCRYPTION_KEY) when the event is committed, opened by the relay
 * right before the record goes to Kafka, and never written to the event log (delivery events
 * are logged redacted and never replayed).
 */
export const SEALED_FIELDS: Partial<Record<EventType, readonly string[]>> = { MagicLinkRequested: ['link'] };

interface SealedField {
  sealed: SealedSecret;
}

// (Not `$sealed`: stored field names may not start with `$`.)
const isSealed = (value: unknown): value is SealedField => {
  const sealed = (value as { sealed?: Record<string, unknown> } | null)?.sealed;
  return typeof sealed === 'object' && sealed !== null && ['keyId', 'iv', 'tag', 'ciphertext'].every((k) => typeof sealed[k] === 'string');
};

// Bound to the event and the field: a sealed value copied elsewhere does not open.
const aad = (event: StoredEvent, field: string): string => `outbox:${event.id}:${field}`;

@Injectable()
export class OutboxSealer {
  private readonly box: SecretBox;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.box = new SecretBox(config.encryption);
  }

  /** The event as it is stored in an outbox: its sensitive fields sealed. */
  seal(event: StoredEvent): StoredEvent {
    const fields = SEALED_FIELDS[event.type as EventType];
    if (!fields) return event;
    const data = { ...event.data };
    for (const field of fields) {
      if (typeof data[field] === 'string') data[field] = { sealed: this.box.seal(data[field] as string, aad(event, field)) } satisfies SealedField;
    }
    return { ...event, data };
  }

  /** The event as it is published: sealed fields opened (a value that fails to open is an internal error). */
  open(event: StoredEvent): StoredEvent {
    const fields = SEALED_FIELDS[event.type as EventType];
    if (!fields) return event;
    const data = { ...event.data };
    for (const field of fields) {
      const value = data[field];
      if (!isSealed(value)) continue;
      try {
        data[field] = this.box.open(value.sealed, aad(event, field));
      } catch {
        throw new AppError('internal', 'OUTBOX_SEAL_BROKEN', `a sealed field of event ${event.id} does not open with the configured keys`);
      }
    }
    return { ...event, data };
  }
}
