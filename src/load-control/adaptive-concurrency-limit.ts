import { Emitter, withoutStackTrace, type Clock } from '../common';
import { realTimers, type StartTimer } from './timers';

/**
 * How a call waits for a slot: `queue` (the default) waits in the bounded FIFO queue for at most
 * the queue timeout; `immediate` never waits (a hedge: no free slot means refused at once).
 */
export type Admission = 'queue' | 'immediate';

/** Why a call got no slot. */
export type ConcurrencyRefusalReason =
  /** The wait queue was full. */
  | 'queue_full'
  /**
   * It waited in the queue for the whole queue timeout, or, while the queue stands, longer than
   * the standing queue's timeout.
   */
  | 'queue_timeout'
  /** An `immediate` call found no free slot. */
  | 'no_free_slot';

/** What one finished call tells the limit. */
export interface ConcurrencySample {
  /**
   * The kind of call (an upstream operation). Its latency is judged against the baseline of this
   * operation only, so a change in the mix of operations is not read as congestion.
   */
  readonly operation: string;
  /** From when the call was sent (its slot granted) to when it settled; the queue wait excluded. */
  readonly latencyMs: number;
  /** It ended in a way that says the upstream is overloaded: a timeout, a 5xx, a network error, a 429. */
  readonly dropped: boolean;
}

/**
 * Frees the slot. With a sample the limit learns from the call; without one (the call was never
 * sent, or was cancelled) the slot is only freed. Only the first call does anything.
 */
export type ReleaseSlot = (sample?: ConcurrencySample) => void;

/** A call refused a slot: typed, so the caller can answer it (a 503 with Retry-After). */
export class ConcurrencyLimitRefusal extends Error {
  override readonly name = 'ConcurrencyLimitRefusal';

  constructor(readonly reason: ConcurrencyRefusalReason) {
    super(`Concurrency limit: call refused (${reason})`);
  }
}

export interface AdaptiveConcurrencyLimitOptions {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  /**
   * The lowest a latency signal alone takes the limit (drops may take it down to `minLimit`).
   * Default `minLimit`. The gateway sets it to the most calls one client request may make at once,
   * so that an upstream that got slower for everyone never gets one request's fan-out refused.
   */
  readonly latencyFloor?: number;
  /** Calls that may wait for a slot at once (0: none waits). */
  readonly queueSize: number;
  /** The longest a call waits in the queue. */
  readonly queueTimeoutMs: number;
  /**
   * The queue is *standing* once, for this long, every slot it handed out went to a waiter that
   * had waited longer than `standingQueueTimeoutMs` (CoDel's interval): the demand has outrun the
   * limit for a while, not for a burst. It stops standing after this long without such a waiter.
   * Default 100 ms.
   */
  readonly standingQueueAfterMs?: number;
  /**
   * While the queue stands, a call that joins it waits at most this long (CoDel's target), free
   * slots go to the newest waiters first (adaptive LIFO), and a waiter that has waited longer is
   * refused at its turn: the calls admitted have waited little, the others are refused instead of
   * served late. Default 5 ms.
   */
  readonly standingQueueTimeoutMs?: number;
  /** Measures the baselines' windows. */
  readonly clock: Clock;
  readonly timers?: StartTimer;
  /**
   * The limit is multiplied by this on congestion (AIMD's multiplicative decrease); by less, down
   * to a half, when a call was slower than tolerated by more than that (see `learn`).
   */
  readonly backoffRatio?: number;
  /** A call is slow when its latency passes `tolerance × baseline + slackMs` of its operation. */
  readonly latencyTolerance?: number;
  readonly latencySlackMs?: number;
  /** An operation's baseline is its smallest latency over the last one to two of these windows. */
  readonly baselineWindowMs?: number;
}

export interface ConcurrencyLimitSnapshot {
  /** Calls admitted at once now (the adaptive limit, rounded down). */
  readonly limit: number;
  readonly inFlight: number;
  readonly queued: number;
}

export type ConcurrencyLimitEvent =
  | ({ readonly kind: 'state' } & ConcurrencyLimitSnapshot)
  | { readonly kind: 'refused'; readonly reason: ConcurrencyRefusalReason };

/** The most one congestion event cuts the limit by. */
const MIN_BACKOFF_RATIO = 0.5;

/**
 * Slow calls are congestion once a round (a limit's worth of calls) has this many of them, and at
 * least this share of the limit: one straggler in a fan-out of fifty is not.
 */
const MIN_SLOW_CALLS = 3;
const SLOW_SHARE = 0.1;

/** Operations tracked at most (the upstream has five); any other is judged on drops only. */
const MAX_OPERATIONS = 64;

interface Waiter {
  /** When it joined the queue. */
  readonly since: number;
  readonly resolve: (release: ReleaseSlot) => void;
  readonly reject: (error: unknown) => void;
  /** Stops the wait's timer and abort listener. */
  cleanUp: () => void;
}

/** An operation's windowed minimum latency: the smaller of this window's and the last one's. */
interface Baseline {
  windowStart: number;
  current: number;
  previous: number;
}

/**
 * A process-wide adaptive concurrency limit (AIMD, as Netflix's concurrency-limits `AIMDLimit`,
 * with latency judged per operation), with a bounded wait queue that is FIFO with the queue
 * timeout for bursts, and LIFO with a short timeout once it stands, refusing at their turn those
 * who have waited longer (CoDel and adaptive LIFO, as in Facebook's "Fail at Scale", ACM Queue
 * 2015): under sustained overload the calls admitted have not waited, so their latency stays that
 * of the upstream at the limit. Framework-free: time comes from the injected clock and timers.
 *
 * - Calls that end healthy while the limit is in use (at least half of it in flight when the call
 *   started or ended) raise it by one slot per limit's worth of them: about one per round trip.
 * - A call that drops, or a slow call (latency past `tolerance × baseline + slack` of its own
 *   operation) while the limit is in use (see below), once a round of a limit's worth of calls has
 *   had at least 3 of them and a tenth of the limit (a lone straggler is not congestion),
 *   multiplies the limit by `backoffRatio` (by `tolerated / latency`, down to 0.5, when that is
 *   smaller: a drop's own latency, or its round's slow calls' on average), once per congestion
 *   event: calls started before that decrease cannot decrease it again (each decrease starts a new
 *   epoch). Slow calls alone stop at `latencyFloor` (at or below it they are no congestion event);
 *   drops go down to `minLimit`. While less than half the limit is in flight (app-limited, as
 *   Netflix's Gradient2 calls it), latency neither raises nor lowers it.
 * - The limit stays within [min, max]; the queue is drained whenever slots free up or it grows.
 */
export class AdaptiveConcurrencyLimit {
  private limit: number;
  private inFlightCount = 0;
  /** Bumped on each decrease; calls started in an earlier epoch cannot decrease it again. */
  private epoch = 0;
  /** Healthy calls since the last change of the limit; a limit's worth of them adds one slot. */
  private credits = 0;
  /** Calls (of this epoch) in the current round of a limit's worth of them, and the slow ones. */
  private roundSamples = 0;
  private roundSlow = 0;
  /** The sum of `tolerated / latency` over this round's slow calls. */
  private roundExcessSum = 0;
  private readonly queue: Waiter[] = [];
  /**
   * The queue's late period: since when, and last when, a waiter waited longer than the standing
   * queue's timeout (it was served that late, refused for it, or timed out), with no gap of
   * `standingQueueAfterMs` between (CoDel's `first_above_time`, with its hysteresis: a standing
   * queue that empties for a moment still stands). `lateSince` is undefined while the queue keeps
   * up: a slot went to a waiter that had waited less.
   */
  private lateSince: number | undefined;
  private lateLast = -Infinity;
  private readonly baselines = new Map<string, Baseline>();
  private readonly timers: StartTimer;
  private readonly backoffRatio: number;
  private readonly tolerance: number;
  private readonly slackMs: number;
  private readonly windowMs: number;
  private readonly standingAfterMs: number;
  private readonly standingTimeoutMs: number;
  private readonly latencyFloor: number;
  /** `state` after every change, `refused` for each refusal (metrics listen). */
  readonly events = new Emitter<ConcurrencyLimitEvent>();

  constructor(private readonly options: AdaptiveConcurrencyLimitOptions) {
    const { initialLimit, minLimit, maxLimit, queueSize, queueTimeoutMs } = options;
    for (const [name, value] of Object.entries({ minLimit, initialLimit, maxLimit, queueSize })) {
      if (!Number.isInteger(value) || value < (name === 'queueSize' ? 0 : 1)) {
        throw new RangeError(`${name} must be a whole number of at least 1 (0 for queueSize)`);
      }
    }
    if (!(minLimit <= initialLimit && initialLimit <= maxLimit)) {
      throw new RangeError('The limits must satisfy minLimit ≤ initialLimit ≤ maxLimit');
    }
    if (!Number.isFinite(queueTimeoutMs) || queueTimeoutMs < 0) {
      throw new RangeError('queueTimeoutMs must be a finite number of at least 0');
    }
    this.backoffRatio = options.backoffRatio ?? 0.9;
    this.tolerance = options.latencyTolerance ?? 2;
    this.slackMs = options.latencySlackMs ?? 25;
    this.windowMs = options.baselineWindowMs ?? 30_000;
    this.standingAfterMs = options.standingQueueAfterMs ?? 100;
    this.standingTimeoutMs = options.standingQueueTimeoutMs ?? 5;
    if (!(this.standingAfterMs >= 0) || !(this.standingTimeoutMs >= 0)) {
      throw new RangeError('standingQueueAfterMs and standingQueueTimeoutMs must be at least 0');
    }
    if (!(this.backoffRatio > 0 && this.backoffRatio < 1)) {
      throw new RangeError('backoffRatio must be between 0 and 1');
    }
    if (!(this.tolerance >= 1) || !(this.slackMs >= 0) || !(this.windowMs > 0)) {
      throw new RangeError('latencyTolerance ≥ 1, latencySlackMs ≥ 0 and baselineWindowMs > 0');
    }
    this.latencyFloor = Math.min(maxLimit, Math.max(minLimit, options.latencyFloor ?? minLimit));
    if (!Number.isFinite(this.latencyFloor)) throw new RangeError('latencyFloor must be finite');
    this.limit = initialLimit;
    this.timers = options.timers ?? realTimers;
  }

  snapshot(): ConcurrencyLimitSnapshot {
    return { limit: this.currentLimit, inFlight: this.inFlightCount, queued: this.queue.length };
  }

  /** A slot now, or `undefined` (never waits, refuses nothing and counts nothing). */
  tryAcquire(): ReleaseSlot | undefined {
    if (this.queue.length > 0 || this.inFlightCount >= this.currentLimit) return undefined;
    const release = this.grant();
    this.emitState();
    return release;
  }

  /**
   * A slot: at once when one is free (and nobody waits before), else after waiting in the queue
   * (first come first served; newest first, with the shorter timeout, while it stands). Rejects
   * with a `ConcurrencyLimitRefusal` when the queue is full, the wait passes its timeout, its turn
   * comes while the queue stands and it has waited past the standing queue's timeout, or an
   * `immediate` call finds no free slot; with the signal's reason when the signal aborts while
   * waiting (the waiter leaves the queue).
   */
  acquire(options: { admission?: Admission; signal?: AbortSignal } = {}): Promise<ReleaseSlot> {
    const { admission = 'queue', signal } = options;
    if (admission !== 'queue' && admission !== 'immediate') {
      return Promise.reject(new TypeError(`Unknown admission "${String(admission)}"`));
    }
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const release = this.tryAcquire();
    if (release) return Promise.resolve(release);
    if (admission === 'immediate') return this.refuse('no_free_slot');
    if (this.queue.length >= this.options.queueSize) return this.refuse('queue_full');
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const since = this.options.clock.now();
      const waiter: Waiter = { since, resolve, reject, cleanUp: () => undefined };
      const leave = (error: Error) => {
        const index = this.queue.indexOf(waiter);
        if (index < 0) return;
        this.queue.splice(index, 1);
        waiter.cleanUp();
        this.emitState();
        reject(error);
      };
      const onAbort = () => leave(abortReason(signal as AbortSignal));
      const timeoutMs = this.standing()
        ? Math.min(this.standingTimeoutMs, this.options.queueTimeoutMs)
        : this.options.queueTimeoutMs;
      const stopTimer = this.timers(timeoutMs, () => {
        this.noteLate(this.options.clock.now());
        this.events.emit({ kind: 'refused', reason: 'queue_timeout' });
        leave(withoutStackTrace(() => new ConcurrencyLimitRefusal('queue_timeout')));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      waiter.cleanUp = () => {
        stopTimer();
        signal?.removeEventListener('abort', onAbort);
      };
      this.queue.push(waiter);
      this.emitState();
    });
  }

  private get currentLimit(): number {
    return Math.floor(this.limit);
  }

  private refuse(reason: ConcurrencyRefusalReason): Promise<never> {
    this.events.emit({ kind: 'refused', reason });
    return Promise.reject(withoutStackTrace(() => new ConcurrencyLimitRefusal(reason)));
  }

  private grant(): ReleaseSlot {
    this.inFlightCount += 1;
    const epoch = this.epoch;
    const inFlightAtStart = this.inFlightCount;
    let released = false;
    return (sample) => {
      if (released) return;
      if (sample) checkSample(sample);
      released = true;
      const busiest = Math.max(inFlightAtStart, this.inFlightCount);
      this.inFlightCount -= 1;
      if (sample) this.learn(sample, epoch, busiest);
      this.drain();
      this.emitState();
    };
  }

  /** @param busiest the calls in flight when this one started or ended, whichever was more */
  private learn(sample: ConcurrencySample, epoch: number, busiest: number): void {
    const baseline = this.baseline(sample.operation, sample.latencyMs);
    const toleratedMs = baseline * this.tolerance + this.slackMs;
    // In use: at least half the limit in flight when the call started or ended. A slow call while
    // most of the limit sits unused says the upstream is slower, not that this limit is too high:
    // lowering it would change nothing now and refuse a later burst (Gradient2's "app-limited").
    const inUse = busiest * 2 >= this.currentLimit;
    const slow = sample.latencyMs > toleratedMs && inUse;
    if (epoch === this.epoch) {
      this.roundSamples += 1;
      if (slow) {
        this.roundSlow += 1;
        this.roundExcessSum += toleratedMs / sample.latencyMs;
      }
    }
    // One slow call is a straggler, not congestion: it takes several in a round of calls. At or
    // below the latency floor, latency lowers nothing, so it is no congestion event either (it
    // would start a new epoch, and the drops of calls already in flight would lower nothing).
    const slowRound = this.roundSlow >= Math.max(MIN_SLOW_CALLS, this.currentLimit * SLOW_SHARE);
    const congested = sample.dropped || (slow && slowRound && this.limit > this.latencyFloor);
    // As far as the latency is past what is tolerated (Gradient2's ratio, at most halving): a
    // limit far past the upstream's knee comes down in a few round trips, not dozens. A drop
    // comes down as far as its round's slow calls say on average, once they are enough to be
    // congestion and not a straggler (an overloaded upstream's quick refusals say that it is
    // overloaded, its slow answers by how much).
    const excess = slow
      ? toleratedMs / sample.latencyMs
      : sample.dropped && slowRound
        ? this.roundExcessSum / this.roundSlow
        : 1;
    if (this.roundSamples >= this.currentLimit) this.resetRound();
    if (congested) {
      if (epoch !== this.epoch) return; // this congestion event has already decreased it
      this.epoch += 1;
      this.credits = 0;
      this.resetRound();
      const ratio = Math.max(MIN_BACKOFF_RATIO, Math.min(this.backoffRatio, excess));
      // Latency alone stops at the floor; a drop may go down to the minimum.
      const floor = sample.dropped ? this.options.minLimit : this.latencyFloor;
      this.limit = Math.max(floor, this.limit * ratio);
    } else if (sample.latencyMs <= toleratedMs && inUse) {
      this.credits += 1;
      if (this.credits >= this.currentLimit) {
        this.credits = 0;
        this.limit = Math.min(this.options.maxLimit, this.limit + 1);
      }
    }
  }

  private resetRound(): void {
    this.roundSamples = this.roundSlow = 0;
    this.roundExcessSum = 0;
  }

  /** Records the latency in its operation's window and returns the operation's baseline. */
  private baseline(operation: string, latencyMs: number): number {
    const now = this.options.clock.now();
    let baseline = this.baselines.get(operation);
    if (!baseline) {
      if (this.baselines.size >= MAX_OPERATIONS) return Infinity;
      baseline = { windowStart: now, current: Infinity, previous: Infinity };
      this.baselines.set(operation, baseline);
    }
    const elapsed = now - baseline.windowStart;
    if (elapsed >= this.windowMs) {
      baseline.previous = elapsed >= 2 * this.windowMs ? Infinity : baseline.current;
      baseline.current = Infinity;
      baseline.windowStart = now;
    }
    baseline.current = Math.min(baseline.current, latencyMs);
    return Math.min(baseline.current, baseline.previous);
  }

  /**
   * Whether the queue stands: waiters have waited longer than the standing queue's timeout for
   * `standingQueueAfterMs`, and did a moment ago (CoDel's rule: a queue that has not gone short
   * for an interval is a standing queue, not a burst being worked off).
   */
  private standing(now = this.options.clock.now()): boolean {
    return (
      this.lateSince !== undefined &&
      now - this.lateLast < this.standingAfterMs &&
      now - this.lateSince >= this.standingAfterMs
    );
  }

  /** A waiter waited longer than the standing queue's timeout: the late period goes on or starts. */
  private noteLate(now: number): void {
    if (this.lateSince === undefined || now - this.lateLast >= this.standingAfterMs) {
      this.lateSince = now;
    }
    this.lateLast = now;
  }

  /**
   * Hands free slots to the waiters. First come first served while the queue keeps up; once it
   * stands, newest first, and a waiter that has waited longer than the standing queue's timeout is
   * refused instead of served (newest first, once one is, all below it are): under sustained
   * overload the calls admitted have not waited. A burst (say, two fan-outs that together need
   * more than the limit, the second's calls waiting for the first's slots) is served in order as
   * long as its waiters get their slots within `standingQueueAfterMs` of the first of them to be
   * served late; those still waiting after that are refused at their turn.
   */
  private drain(): void {
    if (this.queue.length === 0 || this.inFlightCount >= this.currentLimit) return;
    const now = this.options.clock.now();
    const standing = this.standing(now);
    while (this.queue.length > 0 && this.inFlightCount < this.currentLimit) {
      const waiter = (standing ? this.queue.pop() : this.queue.shift()) as Waiter;
      waiter.cleanUp();
      const late = now - waiter.since > this.standingTimeoutMs;
      if (late) this.noteLate(now);
      else if (!standing) this.lateSince = undefined;
      if (standing && late) {
        this.events.emit({ kind: 'refused', reason: 'queue_timeout' });
        waiter.reject(withoutStackTrace(() => new ConcurrencyLimitRefusal('queue_timeout')));
        continue;
      }
      waiter.resolve(this.grant());
    }
  }

  private emitState(): void {
    this.events.emit({ kind: 'state', ...this.snapshot() });
  }
}

/**
 * The signal's reason (an AbortError or TimeoutError unless the aborter gave another error), as
 * it is when it looks like an error (a DOMException may come from another realm), else wrapped.
 */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return typeof (reason as { name?: unknown } | null)?.name === 'string'
    ? (reason as Error)
    : new DOMException(String(reason), 'AbortError');
}

function checkSample(sample: ConcurrencySample): void {
  if (!Number.isFinite(sample.latencyMs) || sample.latencyMs < 0) {
    throw new RangeError(`latencyMs must be a finite number of at least 0: ${sample.latencyMs}`);
  }
}
