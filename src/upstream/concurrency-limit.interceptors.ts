// Types from axios's ESM declarations: the ones @nestjs/axios (an ESM package) is typed against.
import type { AxiosInstance, AxiosRequestConfig, InternalAxiosRequestConfig } from 'axios' with {
  'resolution-mode': 'import',
};
import type { Clock } from '../common';
import {
  ConcurrencyLimitRefusal,
  type AdaptiveConcurrencyLimit,
  type Admission,
  type ConcurrencySample,
  type ReleaseSlot,
} from '../load-control/adaptive-concurrency-limit';
import { EventApiError, UpstreamHttpError, UpstreamOverloadedError } from './event-api.errors';

/** What a request through the limited client may say on top of axios's own options. */
export interface ConcurrencyRequestConfig extends AxiosRequestConfig {
  /**
   * `queue` (the default) waits briefly for a slot when the limit is reached; `immediate` never
   * waits (a hedge attempt): no free slot means `UpstreamOverloadedError` at once.
   */
  readonly admission?: Admission;
}

type LimitedConfig = InternalAxiosRequestConfig & Partial<ConcurrencyRequestConfig>;

interface Slot {
  readonly release: ReleaseSlot;
  readonly operation: string;
  readonly sentAt: number;
}

/** Outcomes that say the upstream is past its capacity: the limit shrinks on them. */
const DROPS: ReadonlySet<string> = new Set(['timeout', 'http_5xx', 'network']);

/**
 * The EventGateway's adaptive concurrency limit: a pair of axios interceptors on its
 * `HttpService`, registered AFTER the circuit breaker's (`useCircuitBreaker`), because axios runs
 * request interceptors in the reverse order of registration and response interceptors in order:
 *
 * - **Request** (before the breaker admits the attempt): a slot of the process-wide limit, at once
 *   or after a brief wait in its queue (`admission: 'immediate'` never waits); refused with
 *   `UpstreamOverloadedError` (503, `Retry-After`) before any breaker permit is taken or socket
 *   opened. A request whose signal aborts while it waits leaves the queue and rejects with the
 *   abort; our own deadline (a TimeoutError) passing in the queue is an overload refusal.
 * - **Response** (after the breaker has settled its permit and translated the error): the slot is
 *   released once, with the latency from when the slot was granted (the request was sent; the
 *   queue wait excluded), keyed by the operation (method and first path segment), and whether it
 *   dropped (a timeout, 5xx, network error or 429). A call that was never sent (the breaker
 *   refused it) or was cancelled frees its slot without teaching the limit anything.
 *
 * The breaker's interceptors leave the request's config on every error they throw, which is how a
 * settled error finds its slot. Returns a function that removes both interceptors.
 */
export function useConcurrencyLimit(
  axios: AxiosInstance,
  limit: AdaptiveConcurrencyLimit,
  clock: Clock,
): () => void {
  /** The slot of each admitted request, until it is settled. */
  const slots = new WeakMap<object, Slot>();

  const requestId = axios.interceptors.request.use(async (config: LimitedConfig) => {
    const signal = config.signal as AbortSignal | undefined;
    let release: ReleaseSlot;
    try {
      release = await limit.acquire({ admission: config.admission ?? 'queue', signal });
    } catch (error) {
      if (error instanceof ConcurrencyLimitRefusal) throw UpstreamOverloadedError.of(error.reason);
      // Our deadline passed while it waited: the upstream never saw it, so it is a refusal.
      if ((error as { name?: unknown } | null)?.name === 'TimeoutError') {
        throw UpstreamOverloadedError.of('queue_timeout');
      }
      throw error;
    }
    slots.set(config, { release, operation: operationOf(config), sentAt: clock.now() });
    return config;
  });

  const settle = (config: object | undefined, error?: unknown): void => {
    const slot = config && slots.get(config);
    if (!config || !slot) return;
    slots.delete(config);
    slot.release(sampleOf(slot, clock.now() - slot.sentAt, error));
  };

  const responseId = axios.interceptors.response.use(
    (response) => {
      settle(response.config);
      return response;
    },
    (error: unknown) => {
      settle((error as { config?: object } | null)?.config, error);
      throw error;
    },
  );

  return () => {
    axios.interceptors.request.eject(requestId);
    axios.interceptors.response.eject(responseId);
  };
}

/** The operation a request is (the method and the first path segment: GET /getEventById). */
function operationOf(config: LimitedConfig): string {
  const path = (config.url ?? '').split('?')[0];
  const first = path.split('/').find((segment) => segment !== '') ?? '';
  return `${(config.method ?? 'get').toUpperCase()} /${first}`;
}

/**
 * What a settled call teaches the limit: nothing when it never got an answer of the upstream's
 * (refused by the breaker, cancelled, a bug), else its latency and whether it dropped.
 */
function sampleOf(slot: Slot, latencyMs: number, error: unknown): ConcurrencySample | undefined {
  if (error === undefined) return { operation: slot.operation, latencyMs, dropped: false };
  if (!(error instanceof EventApiError) || error.verdict.breaker === 'ignore') return undefined;
  const dropped =
    DROPS.has(error.verdict.outcome) ||
    (error instanceof UpstreamHttpError && error.upstreamStatus === 429);
  return { operation: slot.operation, latencyMs: Math.max(0, latencyMs), dropped };
}
