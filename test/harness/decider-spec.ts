import { AppError } from '@mfa/common/errors/app-error';
import type { Decision, DomainEvent } from '@mfa/common/domain/decision';
import { validateEventData } from '@mfa/contracts/events';

/**
 * Given / when / then for the pure deciders (after emmett's DeciderSpecification):
 *
 *   decider(decideEnable).given(state).when(command, now).then([{ type: 'MfaMethodEnabled', data: … }]);
 *   decider(decideEnable).given(null).when(command, now).thenThrows({ kind: 'validation', code: 'METHOD_NOT_CONFIGURED' });
 *
 * Every event a decision makes is also checked against its published schema (libs/contracts).
 */
type Decide<S, C, D extends Decision<S>> = (current: S | null, command: C, now: Date) => D;

export function expectValidEvents(events: readonly DomainEvent[]): void {
  for (const event of events) expect({ type: event.type, problems: validateEventData(event.type, event.data) }).toEqual({ type: event.type, problems: [] });
}

/** An event's data as a plain record, to read one field across a list of events of several types. */
export const dataOf = (event: DomainEvent): Record<string, unknown> => ({ ...event.data });

type Refusal = { kind?: AppError['kind']; code: string; message?: string };

/** `fn` is refused with this AppError (for rules outside a decider, e.g. a name check). */
export function expectRefused(fn: () => unknown, expected: Refusal): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(AppError);
  expect(thrown).toMatchObject(expected);
}

export interface Then<S, D extends Decision<S>> {
  /** The decision succeeds with exactly these events (each valid against its schema); returns it for state assertions. */
  then(events: DomainEvent[]): D;
  /** The decision succeeds (its events valid against their schemas); returns it. */
  thenDecides(): D;
  /** Nothing happens: no event and no change to write. */
  thenNothingHappens(): D;
  /** The decision is refused with this error (and so writes and publishes nothing). */
  thenThrows(expected: Refusal): void;
}

export function decider<S, C, D extends Decision<S>>(decide: Decide<S, C, D>) {
  return {
    given: (state: S | null) => ({
      when: (command: C, now: Date): Then<S, D> => {
        const run = (): D => {
          const decision = decide(state, command, now);
          expectValidEvents(decision.events);
          return decision;
        };
        return {
          then(events) {
            const decision = run();
            expect(decision.events).toEqual(events);
            return decision;
          },
          thenDecides: run,
          thenNothingHappens() {
            const decision = run();
            expect({ events: decision.events, changed: decision.changed ?? false }).toEqual({ events: [], changed: false });
            return decision;
          },
          thenThrows(expected) {
            expectRefused(() => decide(state, command, now), expected);
          },
        };
      },
    }),
  };
}
