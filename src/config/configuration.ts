import { registerAs } from '@nestjs/config';
import { validateEnvironment } from './environment';

// Typed configuration namespaces, each derived from the validated environment. Inject one with
// `@Inject(upstreamConfig.KEY) config: ConfigType<typeof upstreamConfig>`.

export const appConfig = registerAs('app', () => {
  const env = validateEnvironment(process.env);
  return { port: env.PORT, nodeEnv: env.NODE_ENV, logLevel: env.LOG_LEVEL };
});

export const upstreamConfig = registerAs('upstream', () => {
  const env = validateEnvironment(process.env);
  return {
    baseUrl: env.EVENT_API_BASE_URL.replace(/\/+$/, ''),
    timeoutMs: env.UPSTREAM_TIMEOUT_MS,
    maxConcurrency: env.UPSTREAM_MAX_CONCURRENCY,
    retryDelayMs: env.UPSTREAM_RETRY_DELAY_MS,
    coalesceReads: env.UPSTREAM_COALESCE_READS,
  };
});

export const circuitBreakerConfig = registerAs('circuitBreaker', () => {
  const env = validateEnvironment(process.env);
  return {
    resetTimeoutMs: env.CIRCUIT_BREAKER_RESET_TIMEOUT_MS,
    maxResetTimeoutMs: env.CIRCUIT_BREAKER_MAX_RESET_TIMEOUT_MS,
    halfOpenMaxProbes: env.CIRCUIT_BREAKER_HALF_OPEN_MAX_PROBES,
    write: {
      failureThreshold: env.CIRCUIT_BREAKER_FAILURE_THRESHOLD,
      windowMs: env.CIRCUIT_BREAKER_FAILURE_WINDOW_MS,
    },
    read: {
      failureRate: env.CIRCUIT_BREAKER_READ_FAILURE_RATE,
      minimumCalls: env.CIRCUIT_BREAKER_READ_MINIMUM_CALLS,
      windowMs: env.CIRCUIT_BREAKER_READ_WINDOW_MS,
    },
  };
});

export const healthConfig = registerAs('health', () => {
  const env = validateEnvironment(process.env);
  return {
    readinessFailOnOpenCircuit: env.READINESS_FAIL_ON_OPEN_CIRCUIT,
    shutdownDrainMs: env.SHUTDOWN_DRAIN_MS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  };
});

/**
 * Fastify's `trustProxy`: whom to believe about the client's address in X-Forwarded-For. A number
 * trusts that many proxy hops in front of the gateway.
 */
export function parseTrustProxy(
  value: string,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return value.split(',').map((address) => address.trim());
}

export const securityConfig = registerAs('security', () => {
  const env = validateEnvironment(process.env);
  return {
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    corsOrigins: env.CORS_ORIGINS.split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    rateLimitMax: env.RATE_LIMIT_MAX,
    rateLimitTtlMs: env.RATE_LIMIT_TTL_MS,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
  };
});
