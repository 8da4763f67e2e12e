import { withoutStackTrace } from '../common';
import { realTimers, type StartTimer } from './timers';

/** Which of a hedged call's attempts: the one it starts with, or the one started after the delay. */
export type AttemptRole = 'first' | 'hedge';

/**
 * The reason an attempt's signal is aborted with when the other attempt of its hedged call
 * succeeded first: not a failure of the attempt, nor of the upstream. `isLostRace` recognises it.
 */
export class LostRace extends Error {
  override readonly name = 'LostRace';

  constructor(readonly winner: AttemptRole) {
    super(`Cancelled: the ${winner} attempt answered first`);
  }
}

/** Whether an abort reason (`signal.reason`) is a hedged call cancelling its losing attempt. */
export function isLostRace(reason: unknown): reason is LostRace {
  return reason instanceof LostRace;
}

export interface HedgeOptions {
  /**
   * How long the first attempt runs alone before a hedge may start, in milliseconds; `Infinity`:
   * never hedge.
   */
  readonly delayMs: number;
  /**
   * Asked once, when the delay has passed and the first attempt is still running: may a hedge
   * start now? (Withdraw from a retry budget here.) Not asked when the first settles in time.
   */
  readonly mayHedge: () => boolean;
  /**
   * When the delay starts: `start` (the default), when the first attempt is started; `sent`, when
   * the first attempt calls the `sent` function it is given, that is when its request has left
   * ("The Tail at Scale" hedges a request *outstanding* for longer than the delay). Work before
   * that (a wait for a slot, the client's own queue of requests to write) is then not counted,
   * and the delay should be a percentile of latencies measured from the same moment. A first
   * attempt that settles before it is sent is never hedged.
   */
  readonly delayFrom?: 'start' | 'sent';
  /**
   * Starts the delay's timer. Default: a Node timer, cleared by a plain call (no aborted signal:
   * aborting builds an exception with its stack, once per read).
   */
  readonly timers?: StartTimer;
}

/** A hedged call's answer, and which attempt gave it. */
export interface HedgedResult<T> {
  readonly value: T;
  readonly winner: AttemptRole;
  /** Whether a hedge was started. */
  readonly hedged: boolean;
}

/** A hedged call that failed: every attempt it made failed. */
export class HedgedCallFailed extends Error {
  override readonly name = 'HedgedCallFailed';

  constructor(
    /** The first attempt's error: what the call throws on. */
    readonly firstError: unknown,
    /** Whether a hedge was started (and failed too). */
    readonly hedged: boolean,
  ) {
    super('Every attempt of the hedged call failed', { cause: firstError });
  }
}

/** What `sent` resolves the wait for it with. */
const SENT = Symbol('sent');
const NOTHING = (): void => undefined;

type Settled<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** Starts `run` now (a synchronous throw is a failed attempt too) and never rejects. */
function settled<T>(run: () => Promise<T>): Promise<Settled<T>> {
  // An async function runs `run` now, and turns a synchronous throw into a rejection.
  return (async () => run())().then(
    (value): Settled<T> => ({ ok: true, value }),
    (error: unknown): Settled<T> => ({ ok: false, error }),
  );
}

/**
 * A hedged request ("The Tail at Scale"): starts `attempt('first', signal, sent)`; if it has not
 * settled `delayMs` after it started (or, with `delayFrom: 'sent'`, after it called `sent`) and
 * `mayHedge()` allows it, starts exactly one more, `attempt('hedge', signal, sent)`.
 *
 * - The first **success** wins; the other attempt's signal is aborted with a `LostRace` reason.
 * - An attempt that fails while the other still runs is not the end: the call waits for the other.
 * - When every attempt made failed, it rejects with `HedgedCallFailed`, carrying the first
 *   attempt's error (the one a caller without hedging would have seen; the hedge's error is a
 *   second opinion about the same request) and whether a hedge was made.
 * - A first attempt that settles before the delay ends the call; no hedge is started and
 *   `mayHedge` is not asked. The delay's timer is cleared once the call no longer needs it.
 *
 * Each attempt must stop its work when its signal is aborted. The call does not wait for the
 * loser to finish: it returns with the winner's value as soon as it has it.
 */
export async function hedged<T>(
  attempt: (role: AttemptRole, signal: AbortSignal, sent: () => void) => Promise<T>,
  { delayMs, mayHedge, delayFrom = 'start', timers = realTimers }: HedgeOptions,
): Promise<HedgedResult<T>> {
  if (!(delayMs >= 0)) throw new RangeError(`delayMs must be 0 or more, got ${delayMs}`);
  const firstControl = new AbortController();
  let markSent = (): void => undefined;
  const firstSent =
    delayFrom === 'sent' && delayMs !== Infinity
      ? new Promise<typeof SENT>((resolve) => (markSent = () => resolve(SENT)))
      : undefined;
  const first = settled(() => attempt('first', firstControl.signal, () => markSent()));
  const done = (result: Settled<T>, hedgedCall: boolean): HedgedResult<T> => {
    if (!result.ok) throw withoutStackTrace(() => new HedgedCallFailed(result.error, hedgedCall));
    return { value: result.value, winner: 'first', hedged: hedgedCall };
  };
  if (delayMs === Infinity) return done(await first, false);
  if (firstSent) {
    const beforeSending = await Promise.race([first, firstSent]);
    // Settled before its request left (refused, or failed at once): nothing to hedge.
    if (beforeSending !== SENT) return done(beforeSending, false);
  }

  let clearTimer = (): void => undefined;
  const delayPassed = new Promise<true>((resolve) => {
    clearTimer = timers(delayMs, () => resolve(true));
  });
  const early = await Promise.race([first, delayPassed]);
  clearTimer();
  // The first attempt settled in time: no hedge.
  if (early !== true) return done(early, false);
  if (!mayHedge()) return done(await first, false);

  const hedgeControl = new AbortController();
  const hedge = settled(() => attempt('hedge', hedgeControl.signal, NOTHING));
  const tagged = (role: AttemptRole, result: Promise<Settled<T>>) =>
    result.then((settledResult) => ({ role, result: settledResult }));
  const winner = await Promise.race([tagged('first', first), tagged('hedge', hedge)]);
  if (winner.result.ok) {
    (winner.role === 'first' ? hedgeControl : firstControl).abort(
      withoutStackTrace(() => new LostRace(winner.role)),
    );
    return { value: winner.result.value, winner: winner.role, hedged: true };
  }
  const other = await (winner.role === 'first' ? hedge : first);
  if (other.ok)
    return {
      value: other.value,
      winner: winner.role === 'first' ? 'hedge' : 'first',
      hedged: true,
    };
  const firstResult = winner.role === 'first' ? winner.result : other;
  throw withoutStackTrace(
    () => new HedgedCallFailed((firstResult as { error: unknown }).error, true),
  );
}
