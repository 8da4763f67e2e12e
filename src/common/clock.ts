/**
 * Injection token of the clock the circuit breakers measure time with: the monotonic clock in
 * production, a `FakeClock` in tests that step through breaker waits without sleeping.
 */
export const CLOCK = Symbol('CLOCK');

/**
 * Injection token of the wall clock (`Date.now()`), for times that other replicas must read too
 * (when a cached read was stored). Tests override it with a `FakeClock`.
 */
export const WALL_CLOCK = Symbol('WALL_CLOCK');
