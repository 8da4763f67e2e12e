// Types from axios's ESM declarations: the ones @nestjs/axios (an ESM package) is typed against.
import type { AxiosInstance, AxiosRequestConfig, InternalAxiosRequestConfig } from 'axios' with {
  'resolution-mode': 'import',
};
import type { CallPermit } from './circuit-breaker';
import { CircuitOpenError } from './circuit-breaker.errors';
import type { CircuitBreakerRegistry } from './circuit-breaker.registry';

/** Request options the adapter reads, on top of axios's own. */
export interface GuardedRequestConfig extends AxiosRequestConfig {
  /** Name of the registered circuit breaker that guards this call. Required on guarded clients. */
  readonly circuitBreaker: string;
  /**
   * Turns the raw body into what the caller gets. Throwing here (a malformed body) makes the call
   * a failure for the breaker, like a 5xx: a body the caller cannot use is not a healthy answer.
   */
  readonly parseResponse?: (data: unknown) => unknown;
}

type GuardedConfig = InternalAxiosRequestConfig & Partial<GuardedRequestConfig>;

/** What a finished call means to the breaker. `ignore` releases the permit without an outcome. */
export type CallClassification = 'success' | 'failure' | 'ignore';

export interface CircuitBreakerInterceptorOptions {
  readonly registry: CircuitBreakerRegistry;
  /** Maps whatever a call threw (axios errors, parse errors) to the error its caller should see. */
  readonly translateError: (error: unknown) => Error;
  /** Classifies a translated error; answers that arrive at all (any status) may still be healthy. */
  readonly classifyError: (error: Error) => CallClassification;
}

/**
 * The adapter between the breaker core and an axios instance: a request interceptor that asks the
 * request's named breaker for a permit (rejecting with `CircuitOpenError` before any socket is
 * opened), and a response interceptor that parses the body, classifies the outcome and reports it
 * on the permit exactly once. Returns a function that removes both interceptors.
 */
export function attachCircuitBreaker(
  axios: AxiosInstance,
  { registry, translateError, classifyError }: CircuitBreakerInterceptorOptions,
): () => void {
  const permits = new WeakMap<InternalAxiosRequestConfig, CallPermit>();

  const requestId = axios.interceptors.request.use((config: GuardedConfig) => {
    if (!config.circuitBreaker) {
      throw new Error(`Upstream call to ${config.url ?? '?'} names no circuit breaker`);
    }
    const admission = registry.get(config.circuitBreaker).tryAcquire();
    if (!admission.admitted) {
      throw new CircuitOpenError(config.circuitBreaker, admission.state, admission.retryAfterMs);
    }
    permits.set(config, admission);
    return config;
  });

  const takePermit = (config: InternalAxiosRequestConfig | undefined): CallPermit | undefined => {
    if (!config) return undefined;
    const permit = permits.get(config);
    permits.delete(config);
    return permit;
  };

  const responseId = axios.interceptors.response.use(
    (response) => {
      const config: GuardedConfig = response.config;
      const permit = takePermit(config);
      try {
        if (config.parseResponse) response.data = config.parseResponse(response.data);
      } catch (error) {
        const translated = translateError(error);
        settle(permit, classifyError(translated));
        throw translated;
      }
      permit?.success();
      return response;
    },
    (error: unknown) => {
      // A rejection by this breaker (or another request interceptor) never reached the upstream.
      if (error instanceof CircuitOpenError) throw error;
      const config = (error as { config?: InternalAxiosRequestConfig } | null)?.config;
      const permit = takePermit(config);
      const translated = translateError(error);
      settle(permit, classifyError(translated));
      throw translated;
    },
  );

  return () => {
    axios.interceptors.request.eject(requestId);
    axios.interceptors.response.eject(responseId);
  };
}

function settle(permit: CallPermit | undefined, classification: CallClassification): void {
  if (!permit) return;
  if (classification === 'success') permit.success();
  else if (classification === 'failure') permit.failure();
  else permit.release();
}
