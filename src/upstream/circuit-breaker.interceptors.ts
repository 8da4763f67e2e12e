// Types from axios's ESM declarations: the ones @nestjs/axios (an ESM package) is typed against.
import type { AxiosInstance, AxiosRequestConfig, InternalAxiosRequestConfig } from 'axios' with {
  'resolution-mode': 'import',
};
import { settle, type CallPermit, type CircuitBreakerRegistry } from '../circuit-breaker';
import { breakerVerdict, toEventApiError, UpstreamCircuitOpenError } from './event-api.errors';

/** What a request through the guarded client says on top of axios's own options. */
export interface BreakerRequestConfig<T = unknown> extends AxiosRequestConfig {
  /** Name of the registered circuit breaker that guards this call. */
  readonly circuitBreaker: string;
  /**
   * The request's parser: a 2xx body is judged by it before the permit is settled, because a body
   * the gateway cannot use (the parser throws) is no healthy answer: the breaker counts it as a
   * failure, like a 5xx.
   */
  readonly parse: (data: unknown) => T;
}

type GuardedConfig = InternalAxiosRequestConfig & Partial<BreakerRequestConfig>;

/**
 * The EventGateway's circuit breaker: a pair of axios interceptors on its `HttpService`, the one
 * place where an upstream attempt is admitted and settled.
 *
 * - **Request**: the request's breaker admits the attempt (a permit) or refuses it with
 *   `UpstreamCircuitOpenError` before any socket is opened.
 * - **Response**: the body is parsed, then the permit is settled exactly once with what the
 *   outcome means to the breaker (`breakerVerdict`), and the caller gets the parsed value or an
 *   `EventApiError`.
 *
 * Returns a function that removes both interceptors.
 */
export function useCircuitBreaker(
  axios: AxiosInstance,
  registry: CircuitBreakerRegistry,
  timeoutMs: number,
): () => void {
  /** The permit of each admitted request, until it is settled. */
  const permits = new WeakMap<object, CallPermit>();

  const requestId = axios.interceptors.request.use(
    (config: GuardedConfig) => {
      const name = config.circuitBreaker;
      if (!name) {
        throw new Error(`Upstream call to ${config.url ?? '?'} names no circuit breaker`);
      }
      const admission = registry.get(name).tryAcquire();
      if (!admission.admitted) {
        throw UpstreamCircuitOpenError.of(name, admission.state, admission.retryAfterMs);
      }
      permits.set(config, admission);
      return config;
    },
    undefined,
    // Synchronous: axios sends the request in the same turn instead of after a promise hop; a
    // refusal still rejects the call's promise, before the adapter is reached.
    { synchronous: true },
  );

  const responseId = axios.interceptors.response.use(
    (response) => {
      const config: GuardedConfig = response.config;
      const permit = permits.get(config);
      permits.delete(config);
      try {
        if (config.parse) response.data = config.parse(response.data);
      } catch (error) {
        const failure = toEventApiError(error, timeoutMs);
        if (permit) settle(permit, breakerVerdict(failure));
        throw failure;
      }
      permit?.success();
      return response;
    },
    (error: unknown) => {
      const failure = toEventApiError(error, timeoutMs);
      // A refusal by the request interceptor holds no permit and never reached the upstream.
      const config = (error as { config?: object } | null)?.config;
      const permit = config && permits.get(config);
      if (config && permit) {
        permits.delete(config);
        settle(permit, breakerVerdict(failure));
      }
      throw failure;
    },
  );

  return () => {
    axios.interceptors.request.eject(requestId);
    axios.interceptors.response.eject(responseId);
  };
}
