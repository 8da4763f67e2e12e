/** Settings of a `LatencyPercentile`. */
export interface LatencyPercentileOptions {
  /** Which percentile, above 0 and below 100 (95: the p95). */
  readonly percentile: number;
  /** How many of the most recent samples are kept (the memory bound). Default 256. */
  readonly capacity?: number;
  /** Fewer samples than this and `value()` is `undefined`: not yet trusted. Default 20. */
  readonly minSamples?: number;
}

/**
 * A streaming percentile of recent latencies: the last `capacity` samples in a ring (a fixed
 * `Float64Array`, so memory does not grow with traffic), and the percentile of those on demand.
 *
 * `record` is O(1). `value` sorts a copy of the ring (a native numeric sort of at most `capacity`
 * numbers, a few microseconds at 256) only when a sample arrived since the last answer; otherwise
 * it returns the answer it already has. The percentile is the nearest-rank one: the smallest
 * sample with at least `percentile`% of the samples at or below it.
 */
export class LatencyPercentile {
  readonly percentile: number;
  readonly capacity: number;
  readonly minSamples: number;
  private readonly samples: Float64Array;
  private next = 0;
  private count = 0;
  private cached: number | undefined;
  private stale = false;

  constructor({ percentile, capacity = 256, minSamples = 20 }: LatencyPercentileOptions) {
    if (!(percentile > 0 && percentile < 100)) {
      throw new RangeError(`percentile must be above 0 and below 100, got ${percentile}`);
    }
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    if (!Number.isInteger(minSamples) || minSamples < 1 || minSamples > capacity) {
      throw new RangeError(`minSamples must be an integer from 1 to capacity, got ${minSamples}`);
    }
    this.percentile = percentile;
    this.capacity = capacity;
    this.minSamples = minSamples;
    this.samples = new Float64Array(capacity);
  }

  /** Samples held now (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  /** Records one latency in milliseconds; a negative, NaN or infinite one is ignored. */
  record(ms: number): void {
    if (!(ms >= 0 && ms < Infinity)) return;
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count += 1;
    this.stale = true;
  }

  /** The percentile of the samples held, or `undefined` while there are fewer than `minSamples`. */
  value(): number | undefined {
    if (this.count < this.minSamples) return undefined;
    if (this.stale || this.cached === undefined) {
      const sorted = this.samples.slice(0, this.count).sort();
      const rank = Math.ceil((this.percentile / 100) * this.count);
      this.cached = sorted[Math.max(0, rank - 1)];
      this.stale = false;
    }
    return this.cached;
  }
}
