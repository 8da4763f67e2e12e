// Types from axios's ESM declarations: the ones @nestjs/axios (an ESM package) is typed against.
import type { AxiosInstance, AxiosRequestConfig, InternalAxiosRequestConfig } from 'axios' with {
  'resolution-mode': 'import',
};
import { CircuitOpenError, settle, type CallClassification, type CallPermit, type CircuitBreakerRegistry } from '../circuit-breaker';
import { withoutStackTrace } from '../common/errors/without-stack-trace';

/** Request options the adapter reads, on top of axios's own. */
export interface GuardedRequestConfig<T = unknown> extends AxiosRequestConfig {
  /** Name of the registered circuit breaker that guards this call. Required on guarded clients. */
  readonly circuitBreaker: string;
  /**
   * Judges the body and turns it into what the caller gets. It runs here, while the call still
   * holds its breaker permit, because a body the caller cannot use (it throws) is no healthy
   * answer: the breaker must count it as a failure, like a 5xx.
   */
  readonly parseBody: (data: unknown) => T;
}

const PERMIT = Symbol('circuitBreakerPermit');

type GuardedConfig = InternalAxiosRequestConfig &
  Partial<GuardedRequestConfig> & { [PERMIT]?: CallPermit };

export interface CircuitBreakerInterceptorOptions {
  readonly registry: CircuitBreakerRegistry;
  /** Maps whatever a call threw (axios errors, parse errors, refusals) to what its caller sees. */
  readonly translateError: (error: unknown) => unknown;
  /** What a translated error means to the breaker. */
  readonly classifyError: (error: unknown) => CallClassification;
}

/**
 * The adapter between the breaker core and an axios instance: a request interceptor that asks the
 * request's named breaker for a permit (rejecting with `CircuitOpenError` before any socket is
 * opened), and a response interceptor that parses the body, classifies the outcome and settles the
 * permit exactly once. Returns a function that removes both interceptors.
 */
export function attachCircuitBreaker(
  axios: AxiosInstance,
  { registry, translateError, classifyError }: CircuitBreakerInterceptorOptions,
): () => void {
  const requestId = axios.interceptors.request.use((config: GuardedConfig) => {
    if (!config.circuitBreaker) {
      throw new Error(`Upstream call to ${config.url ?? '?'} names no circuit breaker`);
    }
    const admission = registry.get(config.circuitBreaker).tryAcquire();
    if (!admission.admitted) {
      // Expected control flow while open: no stack trace is captured (that is its main cost).
      const { state, retryAfterMs } = admission;
      throw withoutStackTrace(
        () => new CircuitOpenError(config.circuitBreaker!, state, retryAfterMs),
      );
    }
    config[PERMIT] = admission;
    return config;
  });

  /** Settles the call's permit, if it got one, and returns the error its caller should see. */
  const fail = (config: GuardedConfig | undefined, error: unknown): unknown => {
    const translated = translateError(error);
    const permit = config?.[PERMIT];
    if (permit) settle(permit, classifyError(translated));
    return translated;
  };

  const responseId = axios.interceptors.response.use(
    (response) => {
      const config: GuardedConfig = response.config;
      try {
        if (config.parseBody) response.data = config.parseBody(response.data);
      } catch (error) {
        throw fail(config, error);
      }
      config[PERMIT]?.success();
      return response;
    },
    (error: unknown) => {
      // A refusal by a request interceptor never reached the upstream and holds no permit.
      throw fail((error as { config?: GuardedConfig } | null)?.config, error);
    },
  );

  return () => {
    axios.interceptors.request.eject(requestId);
    axios.interceptors.response.eject(responseId);
  };
}
