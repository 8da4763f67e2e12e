/** An exponential backoff: `baseMs × 2^step`, capped at `maxMs`, minus jitter. */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /**
   * Largest fraction taken off each wait at random, so that replicas and clients do not retry in
   * lockstep (0.1: 90–100% of the wait; 0.5: 50–100%).
   */
  readonly jitterRatio: number;
}

/**
 * The wait before retry `step` (0 for the first): `baseMs × 2^step`, capped at `maxMs`, shortened by
 * up to `jitterRatio` of it. `random` returns a number in [0, 1). The one backoff of the gateway:
 * the breaker's open wait, the read retry, the delivery worker's retries and Redis reconnects.
 */
export function backoffMs(
  step: number,
  { baseMs, maxMs, jitterRatio }: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(baseMs * 2 ** Math.max(0, step), maxMs);
  return Math.round(exponential * (1 - jitterRatio * random()));
}
