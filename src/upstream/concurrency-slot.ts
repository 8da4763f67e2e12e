import {
  ConcurrencyLimitRefusal,
  type AdaptiveConcurrencyLimit,
  type Admission,
  type ConcurrencySample,
  type ReleaseSlot,
} from '../load-control/adaptive-concurrency-limit';
import { EventApiError, UpstreamHttpError, UpstreamOverloadedError } from './event-api.errors';

/** Outcomes that say the upstream is past its capacity: the limit shrinks on them. */
const DROPS: ReadonlySet<string> = new Set(['timeout', 'http_5xx', 'network']);

/**
 * A slot of the process-wide concurrency limit for one attempt, taken before the HTTP client is
 * asked: at once, or after a brief wait in the limit's queue (`immediate`, a hedge, never waits).
 * A refusal is `UpstreamOverloadedError` (503, `Retry-After`), and so is our own deadline (a
 * TimeoutError) passing while it waits: the upstream never saw the call. Any other abort of
 * `signal` while it waits (a hedge's race lost) rejects with the abort's reason.
 *
 * Taken before axios rather than in an interceptor of it, so that a refused call costs no axios
 * request: under overload most calls are refused, and axios's request path (its config merge and
 * the stack it appends to every error) was a third of a refusal's CPU in the profile.
 */
export async function takeSlot(
  limit: AdaptiveConcurrencyLimit,
  admission: Admission,
  signal: AbortSignal,
): Promise<ReleaseSlot> {
  try {
    return await limit.acquire({ admission, signal });
  } catch (error) {
    if (error instanceof ConcurrencyLimitRefusal) throw UpstreamOverloadedError.of(error.reason);
    if ((error as { name?: unknown } | null)?.name === 'TimeoutError') {
      throw UpstreamOverloadedError.of('queue_timeout');
    }
    throw error;
  }
}

/**
 * What a settled attempt teaches the limit: nothing when it got no answer of the upstream's
 * (the breaker refused it, it was cancelled, a bug), else its latency since its slot was granted
 * and whether it dropped (a timeout, a 5xx, a network error, a 429).
 */
export function sampleOf(
  operation: string,
  latencyMs: number,
  error?: unknown,
): ConcurrencySample | undefined {
  const sample = { operation, latencyMs: Math.max(0, latencyMs) };
  if (error === undefined) return { ...sample, dropped: false };
  if (!(error instanceof EventApiError) || error.verdict.breaker === 'ignore') return undefined;
  const dropped =
    DROPS.has(error.verdict.outcome) ||
    (error instanceof UpstreamHttpError && error.upstreamStatus === 429);
  return { ...sample, dropped };
}
