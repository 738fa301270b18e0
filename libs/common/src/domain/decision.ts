import type { EventDataByType, EventType } from '@mfa/contracts/events';

/**
 * A fact decided by the domain, before the store gives it identity, time and position. Typed
 * by its name where it is made: a misspelled or missing field of `data` does not compile.
 */
export type DomainEvent<T extends EventType = EventType> = { [K in T]: { type: K; data: EventDataByType[K] } }[T];

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
