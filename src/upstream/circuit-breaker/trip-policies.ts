import type { WindowCounts } from './sliding-window';

/**
 * Decides, after a failure recorded while CLOSED, whether the breaker opens. A strategy: the
 * breaker owns the sliding window; a policy only names the window's length and judges its counts.
 */
export interface TripPolicy {
  /** Length of the sliding window the breaker keeps for this policy. */
  readonly windowMs: number;
  /** True when the counts in the window should open the circuit. */
  shouldTrip(counts: WindowCounts): boolean;
  /** A short human-readable description, shown in snapshots and readiness. */
  describe(): string;
}

/** Opens after `threshold` failures within `windowMs` (the original system's rule). */
export class CountInWindowPolicy implements TripPolicy {
  constructor(
    readonly threshold: number,
    readonly windowMs: number,
  ) {
    if (!Number.isInteger(threshold) || threshold < 1) {
      throw new RangeError(`threshold must be a positive integer, got ${threshold}`);
    }
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${windowMs}`);
  }

  shouldTrip({ failures }: WindowCounts): boolean {
    return failures >= this.threshold;
  }

  describe(): string {
    return `${this.threshold} failures within ${this.windowMs} ms`;
  }
}

/**
 * Opens when at least `minimumCalls` calls were made within `windowMs` and at least
 * `failureRatio` of them failed. Meant for high-volume reads, where a few transient errors in a
 * quiet second must not open the circuit.
 */
export class FailureRatePolicy implements TripPolicy {
  constructor(
    readonly failureRatio: number,
    readonly minimumCalls: number,
    readonly windowMs: number,
  ) {
    if (!(failureRatio > 0 && failureRatio <= 1)) {
      throw new RangeError(`failureRatio must be in (0, 1], got ${failureRatio}`);
    }
    if (!Number.isInteger(minimumCalls) || minimumCalls < 1) {
      throw new RangeError(`minimumCalls must be a positive integer, got ${minimumCalls}`);
    }
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${windowMs}`);
  }

  shouldTrip({ calls, failures }: WindowCounts): boolean {
    return calls >= this.minimumCalls && failures >= this.failureRatio * calls;
  }

  describe(): string {
    return `${Math.round(this.failureRatio * 100)}% of at least ${this.minimumCalls} calls within ${this.windowMs} ms`;
  }
}
