/** Calls and failures currently inside a window. */
export interface WindowCounts {
  readonly calls: number;
  readonly failures: number;
}

/**
 * Counts outcomes in a sliding time window: an outcome recorded at `t` counts while
 * `now - t < windowMs`.
 *
 * Outcomes recorded in the same whole millisecond share one slot (times are floored: the clock is
 * `performance.now()`, with fractions), so memory is bounded by the window's length in
 * milliseconds, not by traffic: a busy read breaker seeing thousands of calls a second holds at
 * most `windowMs + 1` slots, and usually far fewer. An outcome may leave the window up to a
 * millisecond early.
 */
export class SlidingWindow {
  private readonly times: number[] = [];
  private readonly slotCalls: number[] = [];
  private readonly slotFailures: number[] = [];
  private head = 0;
  private calls = 0;
  private failures = 0;

  constructor(readonly windowMs: number) {
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${windowMs}`);
  }

  /** How many slots are held (at most `windowMs + 1`). */
  get slots(): number {
    return this.times.length - this.head;
  }

  record(time: number, failed: boolean): void {
    const now = Math.floor(time);
    this.evict(now);
    const last = this.times.length - 1;
    if (last >= this.head && this.times[last] === now) {
      this.slotCalls[last] += 1;
      if (failed) this.slotFailures[last] += 1;
    } else {
      this.times.push(now);
      this.slotCalls.push(1);
      this.slotFailures.push(failed ? 1 : 0);
    }
    this.calls += 1;
    if (failed) this.failures += 1;
  }

  counts(now: number): WindowCounts {
    this.evict(now);
    return { calls: this.calls, failures: this.failures };
  }

  clear(): void {
    this.times.length = 0;
    this.slotCalls.length = 0;
    this.slotFailures.length = 0;
    this.head = 0;
    this.calls = 0;
    this.failures = 0;
  }

  private evict(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.head < this.times.length && this.times[this.head] <= cutoff) {
      this.calls -= this.slotCalls[this.head];
      this.failures -= this.slotFailures[this.head];
      this.head += 1;
    }
    // Compact now and then so the arrays do not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.slotCalls.splice(0, this.head);
      this.slotFailures.splice(0, this.head);
      this.head = 0;
    }
  }
}
