/**
 * Source of time in milliseconds. Injected so tests can drive every transition on a fake clock.
 * Only differences between two readings matter: the breaker measures durations, never dates.
 */
export interface Clock {
  now(): number;
}

/**
 * A monotonic clock (`performance.now()`): unlike `Date.now()`, it never steps back or jumps when
 * the system clock is adjusted, so an OPEN circuit cannot stay open an hour longer because NTP
 * moved the wall clock.
 */
export const monotonicClock: Clock = { now: () => performance.now() };
