import { monotonicClock, type Clock } from '../common';

/** Settings of a `RetryBudget`. */
export interface RetryBudgetOptions {
  /** Extra attempts allowed per first attempt in the window (0.1: one in ten). From 0 to 1. */
  readonly ratio: number;
  /** Extra attempts allowed per second whatever the traffic (a floor for quiet periods). */
  readonly minPerSecond: number;
  /** How far back first and extra attempts count, in milliseconds. */
  readonly windowMs: number;
  /** Defaults to the monotonic clock. */
  readonly clock?: Clock;
  /** Steps the window slides in (a deposit leaves it between `windowMs × (1 − 1/buckets)` and `windowMs` later). Default 10. */
  readonly buckets?: number;
}

/** What a budget holds now, for tests and operators. */
export interface RetryBudgetSnapshot {
  readonly deposits: number;
  readonly withdrawals: number;
  /** How many more extra attempts would be allowed now. */
  readonly available: number;
}

/** Ratios are compared in integers, to six decimal places (no floating-point drift at the edge). */
const SCALE = 1_000_000;

/**
 * A retry budget (Finagle's `RetryBudget`, Envoy's retry budget): extra attempts (retries, hedges)
 * are allowed while those made in the last `windowMs` stay within
 * `ratio × first attempts in the window + minPerSecond × windowMs / 1000` (the second term
 * rounded down). So however the upstream fails, extra attempts add at most `ratio` to the load
 * clients make, plus a small floor that lets a quiet gateway retry at all.
 *
 * Counts live in a ring of `buckets` time slots, so memory is fixed whatever the traffic; time
 * comes from the injected clock only (no timers), so it is tested on a fake clock.
 */
export class RetryBudget {
  private readonly ratioParts: number;
  private readonly reserve: number;
  private readonly bucketMs: number;
  private readonly clock: Clock;
  private readonly depositsBy: Float64Array;
  private readonly withdrawalsBy: Float64Array;
  /** The bucket index (time / bucketMs) each slot holds counts for. */
  private readonly slotOf: Float64Array;

  constructor({ ratio, minPerSecond, windowMs, clock, buckets = 10 }: RetryBudgetOptions) {
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new RangeError(`ratio must be from 0 to 1, got ${ratio}`);
    }
    if (!(minPerSecond >= 0 && minPerSecond < Infinity)) {
      throw new RangeError(`minPerSecond must be 0 or more, got ${minPerSecond}`);
    }
    if (!(windowMs >= 1 && windowMs < Infinity)) {
      throw new RangeError(`windowMs must be at least 1, got ${windowMs}`);
    }
    if (!Number.isInteger(buckets) || buckets < 1) {
      throw new RangeError(`buckets must be a positive integer, got ${buckets}`);
    }
    this.ratioParts = Math.round(ratio * SCALE);
    this.reserve = Math.floor((minPerSecond * windowMs) / 1000);
    this.bucketMs = windowMs / buckets;
    this.clock = clock ?? monotonicClock;
    this.depositsBy = new Float64Array(buckets);
    this.withdrawalsBy = new Float64Array(buckets);
    this.slotOf = new Float64Array(buckets).fill(-Infinity);
  }

  /** Counts one first attempt, which earns `ratio` of an extra one. */
  deposit(): void {
    this.depositsBy[this.slot()] += 1;
  }

  /** Takes one extra attempt from the budget if it allows one now; says whether it did. */
  tryWithdraw(): boolean {
    const slot = this.slot();
    const { deposits, withdrawals } = this.totals();
    if (!this.allows(deposits, withdrawals + 1)) return false;
    this.withdrawalsBy[slot] += 1;
    return true;
  }

  snapshot(): RetryBudgetSnapshot {
    this.slot();
    const { deposits, withdrawals } = this.totals();
    const allowed = Math.floor((deposits * this.ratioParts) / SCALE) + this.reserve;
    return { deposits, withdrawals, available: Math.max(0, allowed - withdrawals) };
  }

  private allows(deposits: number, withdrawals: number): boolean {
    return withdrawals * SCALE <= deposits * this.ratioParts + this.reserve * SCALE;
  }

  private totals(): { deposits: number; withdrawals: number } {
    let deposits = 0;
    let withdrawals = 0;
    for (let i = 0; i < this.slotOf.length; i += 1) {
      deposits += this.depositsBy[i];
      withdrawals += this.withdrawalsBy[i];
    }
    return { deposits, withdrawals };
  }

  /** The slot of the current bucket, after emptying every slot that left the window. */
  private slot(): number {
    const bucket = Math.floor(this.clock.now() / this.bucketMs);
    const buckets = this.slotOf.length;
    for (let i = 0; i < buckets; i += 1) {
      // A slot counts while its bucket is one of the last `buckets` ones (the current included).
      if (this.slotOf[i] <= bucket - buckets) {
        this.slotOf[i] = -Infinity;
        this.depositsBy[i] = 0;
        this.withdrawalsBy[i] = 0;
      }
    }
    const slot = ((bucket % buckets) + buckets) % buckets;
    if (this.slotOf[slot] !== bucket) {
      this.slotOf[slot] = bucket;
      this.depositsBy[slot] = 0;
      this.withdrawalsBy[slot] = 0;
    }
    return slot;
  }
}
