/** Time comes in as a dependency so every rule about expiry, windows and deadlines is testable. */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('Clock');

export const systemClock: Clock = { now: () => new Date() };
