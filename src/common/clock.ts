/**
 * Injection token of the clock the circuit breakers measure time with: the monotonic clock in
 * production, a `FakeClock` in tests that step through breaker waits without sleeping.
 */
export const CLOCK = Symbol('CLOCK');
