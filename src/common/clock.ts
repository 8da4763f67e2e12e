/**
 * Source of time in milliseconds. Injected (the `CLOCK` and `WALL_CLOCK` tokens) so tests can drive
 * breaker waits, cache ages and key leases on a `FakeClock` without sleeping.
 */
export interface Clock {
  now(): number;
}

/**
 * A monotonic clock (`performance.now()`): unlike `Date.now()`, it never steps back or jumps when
 * the system clock is adjusted, so an OPEN circuit cannot stay open an hour longer because NTP
 * moved the wall clock. For durations only: its readings mean nothing to another process.
 */
export const monotonicClock: Clock = { now: () => performance.now() };

/** The wall clock (`Date.now()`), for times other replicas read too (when a cached read was stored). */
export const wallClock: Clock = { now: () => Date.now() };

/** Injection token of the monotonic clock (durations: breaker waits, key leases). */
export const CLOCK = Symbol('CLOCK');

/** Injection token of the wall clock (times shared across replicas). */
export const WALL_CLOCK = Symbol('WALL_CLOCK');
