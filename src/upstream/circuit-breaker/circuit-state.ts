/**
 * The three states of a circuit breaker.
 *
 * - `CLOSED`: calls pass through; their outcomes are recorded in a sliding time window and the
 *   breaker's trip policy decides, after each failure, whether to open.
 * - `OPEN`: every call is rejected at once, without touching the upstream, until the open wait
 *   (exponential backoff with jitter) has passed.
 * - `HALF_OPEN`: a limited number of probe calls pass; the first probe's outcome decides between
 *   `CLOSED` (success) and `OPEN` with the next backoff step (failure). Other calls are rejected.
 */
export enum CircuitState {
  Closed = 'CLOSED',
  Open = 'OPEN',
  HalfOpen = 'HALF_OPEN',
}

/** Source of time in milliseconds. Injected so tests can drive every transition on a fake clock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** What `onStateChange` returns: call `dispose()` to stop listening. */
export interface Disposable {
  dispose(): void;
}
