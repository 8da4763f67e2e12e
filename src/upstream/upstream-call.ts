import { backoffMs } from '../shared';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventApiError } from './event-api.errors';

/** The upstream operations, as named in metrics, logs and spans. */
export type UpstreamOperation =
  'getUsers' | 'getUserById' | 'getEvents' | 'getEventById' | 'addEvent';

/** One upstream call, fully described. Its result type is the parser's. */
export interface UpstreamCall<T> {
  readonly operation: UpstreamOperation;
  /** The circuit breaker that guards it. */
  readonly breaker: string;
  readonly method: 'GET' | 'POST';
  /** Path below the base URL, with every segment already encoded. */
  readonly path: string;
  readonly body?: unknown;
  /** Checks the untrusted body and builds the result; throws for a malformed body. */
  readonly parse: (data: unknown) => T;
}

/**
 * Runs `attempt`, and once more after a jittered pause (50–100% of `delayMs`) if it failed in a way
 * whose verdict says a retry may help. For idempotent reads only.
 */
export async function retryOnce<T>(attempt: () => Promise<T>, delayMs: number): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof EventApiError) || !error.verdict.retryable) throw error;
    await sleep(backoffMs(0, { baseMs: delayMs, maxMs: delayMs, jitterRatio: 0.5 }));
    return attempt();
  }
}

/**
 * Single flight: while a call for a key is in flight, callers with the same key share its promise
 * instead of starting another. Nothing is kept once it settles (this is not a cache).
 */
export class InFlightCalls<Origin = unknown> {
  private readonly calls = new Map<string, { call: Promise<unknown>; origin: Origin }>();

  /**
   * The call in flight for `key`, or a new one started with `start`. `origin` (what started it,
   * e.g. a span) is kept with the call; `onJoin` hears the origin of a call that is shared.
   */
  share<T>(
    key: string,
    start: () => Promise<T>,
    origin: Origin,
    onJoin?: (origin: Origin) => void,
  ): Promise<T> {
    const inFlight = this.calls.get(key);
    if (inFlight) {
      onJoin?.(inFlight.origin);
      return inFlight.call as Promise<T>;
    }
    const call = start().finally(() => this.calls.delete(key));
    this.calls.set(key, { call, origin });
    return call;
  }

  get size(): number {
    return this.calls.size;
  }
}
