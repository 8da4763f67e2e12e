import { CircuitState } from './circuit-state';

/**
 * Thrown instead of making an upstream call when the breaker is OPEN, or HALF_OPEN with all of its
 * probe slots taken. No socket was opened.
 */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';

  constructor(
    readonly breaker: string,
    readonly state: CircuitState.Open | CircuitState.HalfOpen,
    readonly retryAfterMs: number,
    message = `Circuit breaker "${breaker}" is ${state}; call rejected without contacting the upstream`,
  ) {
    super(message);
  }
}

export function isCircuitOpenError(error: unknown): error is CircuitOpenError {
  return error instanceof CircuitOpenError;
}
