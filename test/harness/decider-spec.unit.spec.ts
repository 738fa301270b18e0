import { AppError } from '@mfa/common/errors/app-error';
import type { Decision, DomainEvent } from '@mfa/common/domain/decision';
import { decider, expectRefused, expectValidEvents } from './decider-spec';

/** The helper itself can fail: a wrong event, a bad field, an unexpected success or refusal. */
describe('decider spec helper', () => {
  const enabled = (orgId: string | null): DomainEvent => ({
    type: 'MfaMethodEnabled',
    data: { userId: 'u1', orgId, method: 'GOOGLE_AUTH', isPrimary: true, enabledMethods: ['GOOGLE_AUTH'] },
  });
  const decide = (_state: number | null, command: { fail?: boolean; event?: DomainEvent }, _now: Date): Decision<number> => {
    if (command.fail) throw new AppError('conflict', 'NOPE', 'refused');
    return { state: 1, events: command.event ? [command.event] : [] };
  };
  const now = new Date('2026-01-01T00:00:00Z');

  it('passes on the expected events, and fails on other events', () => {
    expect(
      decider(decide)
        .given(null)
        .when({ event: enabled('o1') }, now)
        .then([enabled('o1')]).state,
    ).toBe(1);
    expect(() =>
      decider(decide)
        .given(null)
        .when({ event: enabled('o1') }, now)
        .then([enabled('o2')]),
    ).toThrow();
  });

  it('fails on an event that does not match its published schema', () => {
    const offSchema = {
      type: 'MfaMethodEnabled',
      data: { userId: 'u1', orgId: null, method: 'SMS', isPrimary: true, enabledMethods: [] },
    } as unknown as DomainEvent;
    expect(() => expectValidEvents([offSchema])).toThrow();
    expect(() => decider(decide).given(null).when({ event: offSchema }, now).thenDecides()).toThrow();
    expect(() => expectValidEvents([enabled(null)])).not.toThrow();
  });

  it('thenNothingHappens fails when an event is made; thenThrows fails on success or on another code', () => {
    decider(decide).given(null).when({}, now).thenNothingHappens();
    expect(() =>
      decider(decide)
        .given(null)
        .when({ event: enabled('o1') }, now)
        .thenNothingHappens(),
    ).toThrow();
    decider(decide).given(null).when({ fail: true }, now).thenThrows({ kind: 'conflict', code: 'NOPE' });
    expect(() => decider(decide).given(null).when({}, now).thenThrows({ code: 'NOPE' })).toThrow();
    expect(() => expectRefused(() => decide(null, { fail: true }, now), { code: 'OTHER' })).toThrow();
  });
});
