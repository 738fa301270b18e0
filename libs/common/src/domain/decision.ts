import type { EventType } from '@mfa/contracts/events';

/** A fact decided by the domain, before the store gives it identity, time and position. */
export interface DomainEvent<T extends EventType = EventType> {
  type: T;
  data: Record<string, unknown>;
}

/**
 * What a pure decision function returns: the next state and the facts that happened.
 * No events = no change, unless `changed` says the state moved without a fact worth
 * publishing (e.g. a stored one-time challenge): then it is written, with no event.
 */
export interface Decision<S> {
  state: S;
  events: DomainEvent[];
  changed?: boolean;
}
