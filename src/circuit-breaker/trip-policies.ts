import { SlidingWindow, type WindowCounts } from './sliding-window';

/** The outcome of a call that reached the upstream. */
export type CallOutcome = 'success' | 'failure';

/**
 * Decides when a CLOSED breaker opens. A strategy that sees every outcome recorded while CLOSED, so
 * it can count in a window, compute a rate or look at a run of failures. Policies hold state: give
 * each breaker its own instance.
 */
export interface TripPolicy {
  /** Records one outcome; returns true when the circuit should open now. */
  record(outcome: CallOutcome, now: number): boolean;
  /** What the policy currently counts, for snapshots, health and logs. */
  counts(now: number): WindowCounts;
  /** Forgets every outcome (the circuit closed again, or an operator reset it). */
  reset(): void;
  /** A short human-readable description, shown in snapshots and readiness. */
  describe(): string;
}

function positiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

function positive(value: number, name: string): void {
  if (!(value > 0)) throw new RangeError(`${name} must be positive, got ${value}`);
}

/** Opens after `threshold` failures within `windowMs` (the original system's rule). */
export class CountInWindowPolicy implements TripPolicy {
  private readonly window: SlidingWindow;

  constructor(
    readonly threshold: number,
    readonly windowMs: number,
  ) {
    positiveInteger(threshold, 'threshold');
    positive(windowMs, 'windowMs');
    this.window = new SlidingWindow(windowMs);
  }

  record(outcome: CallOutcome, now: number): boolean {
    this.window.record(now, outcome === 'failure');
    return this.window.counts(now).failures >= this.threshold;
  }

  counts(now: number): WindowCounts {
    return this.window.counts(now);
  }

  reset(): void {
    this.window.clear();
  }

  describe(): string {
    return `${this.threshold} failures within ${this.windowMs} ms`;
  }
}

/** Ratios are compared as integers scaled by this much, so 0.55 of 100 calls is exactly 55. */
const RATIO_SCALE = 1_000_000;

/**
 * Opens when at least `minimumCalls` calls were made within `windowMs` and at least
 * `failureRatio` of them failed (the ratio is taken to six decimal places and compared exactly, in
 * integers). Meant for high-volume reads, where a few transient errors in a quiet second must not
 * open the circuit. Judged after every outcome, successes included: reaching the minimum volume with
 * a success can open it too.
 */
export class FailureRatePolicy implements TripPolicy {
  private readonly window: SlidingWindow;
  private readonly scaledRatio: number;

  constructor(
    readonly failureRatio: number,
    readonly minimumCalls: number,
    readonly windowMs: number,
  ) {
    if (!(failureRatio > 0 && failureRatio <= 1)) {
      throw new RangeError(`failureRatio must be in (0, 1], got ${failureRatio}`);
    }
    positiveInteger(minimumCalls, 'minimumCalls');
    positive(windowMs, 'windowMs');
    this.scaledRatio = Math.max(1, Math.round(failureRatio * RATIO_SCALE));
    this.window = new SlidingWindow(windowMs);
  }

  record(outcome: CallOutcome, now: number): boolean {
    this.window.record(now, outcome === 'failure');
    const { calls, failures } = this.window.counts(now);
    return calls >= this.minimumCalls && failures * RATIO_SCALE >= this.scaledRatio * calls;
  }

  counts(now: number): WindowCounts {
    return this.window.counts(now);
  }

  reset(): void {
    this.window.clear();
  }

  describe(): string {
    const percent = (this.scaledRatio / RATIO_SCALE) * 100;
    return `${Number(percent.toFixed(4))}% of at least ${this.minimumCalls} calls within ${this.windowMs} ms`;
  }
}
