/** Settings of the open wait: `baseMs × 2^failedProbes`, capped at `maxMs`, minus jitter. */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Largest fraction taken off the wait at random, so replicas do not probe in lockstep. */
  readonly jitterRatio: number;
}

/**
 * How long the breaker stays OPEN after `failedProbes` consecutive failed probes (0 on the first
 * opening). `random` returns a number in [0, 1). With the defaults: 10 s, 20 s, 40 s, 60 s, 60 s …,
 * each shortened by up to 10%.
 */
export function openWaitMs(
  failedProbes: number,
  { baseMs, maxMs, jitterRatio }: BackoffOptions,
  random: () => number,
): number {
  const exponential = Math.min(baseMs * 2 ** failedProbes, maxMs);
  return Math.round(exponential * (1 - jitterRatio * random()));
}
