import type { RejectingState } from './circuit-state';

/**
 * Thrown instead of making an upstream call when the breaker is OPEN or FORCED_OPEN, or HALF_OPEN
 * with all of its probe slots taken. No socket was opened.
 */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';

  constructor(
    readonly breaker: string,
    readonly state: RejectingState,
    /** How long until a call may be admitted again (0 or more). */
    readonly retryAfterMs: number,
    message = `Circuit breaker "${breaker}" is ${state}; call rejected without contacting the upstream`,
  ) {
    super(message);
  }
}
