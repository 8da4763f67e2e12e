/**
 * The states of a circuit breaker.
 *
 * - `CLOSED`: calls pass through; their outcomes are recorded and the breaker's trip policy decides,
 *   after every outcome, whether to open.
 * - `OPEN`: every call is rejected at once, without touching the upstream, until the open wait
 *   (exponential backoff with jitter) has passed.
 * - `HALF_OPEN`: a limited number of probe calls pass; a probe's outcome decides between `CLOSED`
 *   (success) and `OPEN` with the next backoff step (failure). Other calls are rejected.
 * - `FORCED_OPEN`: an operator opened it by hand; every call is rejected until it is reset. Time
 *   alone never ends it.
 * - `DISABLED`: an operator switched it off; every call passes and nothing trips it, until reset.
 *   Outcomes are still counted in the totals.
 */
export enum CircuitState {
  Closed = 'CLOSED',
  Open = 'OPEN',
  HalfOpen = 'HALF_OPEN',
  ForcedOpen = 'FORCED_OPEN',
  Disabled = 'DISABLED',
}

/** The states in which a call is refused (no upstream call may be made). */
export type RejectingState = CircuitState.Open | CircuitState.HalfOpen | CircuitState.ForcedOpen;
