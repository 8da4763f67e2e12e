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
