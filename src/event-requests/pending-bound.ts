/** How long one reading of the queue's depth serves the creates that follow it. */
export const DEPTH_READ_TTL_MS = 250;

/**
 * EVENT_DELIVERY_MAX_PENDING, checked cheaply: the queue's depth (its pending jobs, shared by every
 * replica) is read from Redis at most once every DEPTH_READ_TTL_MS, concurrent creates sharing one
 * read; in between, the creates this replica admitted since the read are added to it. So:
 *
 * - this replica alone never takes the queue past the bound (its own admissions are counted at
 *   once, and an admission whose add was still under way during a read is counted as well, once
 *   by the read maybe and once here: rather too many than too few);
 * - what other replicas queued since the last read (at most DEPTH_READ_TTL_MS and one round trip
 *   ago) is not seen yet: with R replicas, the queue can pass the bound by what R − 1 replicas
 *   accept in that time;
 * - a queue that drained meanwhile is seen at the next read: refusals may last up to
 *   DEPTH_READ_TTL_MS longer than needed.
 *
 * At most 4 reads a second, whatever the rate of creates.
 */
export class PendingBound {
  private reading?: { readonly pending: number; readonly at: number };
  /** Creates admitted since `reading` was taken (or under way while it was). */
  private admittedSince = 0;
  /** Admitted creates whose add has not settled yet. */
  private inFlight = 0;
  private refreshing?: Promise<void>;

  constructor(
    readonly max: number,
    /** The queue's pending jobs now (one Redis round trip); rejects if it cannot be read. */
    private readonly readPending: () => Promise<number>,
    private readonly now: () => number = () => performance.now(),
    private readonly ttlMs: number = DEPTH_READ_TTL_MS,
  ) {}

  /**
   * Takes a place for one create, or refuses (`false`: the queue is at the bound). An admitted
   * create calls `settled()` once its add has succeeded or failed. Rejects when the depth cannot be
   * read (nothing was admitted).
   */
  async admit(): Promise<boolean> {
    if (this.reading === undefined || this.now() - this.reading.at >= this.ttlMs) {
      await this.refresh();
    }
    const pending = (this.reading?.pending ?? 0) + this.admittedSince;
    if (pending >= this.max) return false;
    this.admittedSince += 1;
    this.inFlight += 1;
    return true;
  }

  settled(): void {
    this.inFlight -= 1;
  }

  /** One read at a time: creates that find the reading stale while one is under way wait for it. */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const at = this.now();
      // Adds under way now may land before or after the read: count them on top of it.
      const underWay = this.inFlight;
      try {
        const pending = await this.readPending();
        this.reading = { pending, at };
        this.admittedSince = underWay;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
