import { HttpModule } from '@nestjs/axios';
import { Logger, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { circuitBreakerConfig, upstreamConfig } from '../config/configuration';
import { UpstreamMetrics } from '../metrics/upstream-metrics';
import { CircuitBreaker, type CircuitStateChange } from './circuit-breaker/circuit-breaker';
import { CircuitBreakerRegistry } from './circuit-breaker/circuit-breaker.registry';
import { CircuitState } from './circuit-breaker/circuit-state';
import { CountInWindowPolicy, FailureRatePolicy } from './circuit-breaker/trip-policies';
import { READ_BREAKER, WRITE_BREAKER } from './circuit-breaker-names';
import { EventGateway } from './event-gateway';

/** Largest upstream body the gateway reads; anything bigger is a malformed answer. */
const MAX_UPSTREAM_BODY_BYTES = 1024 * 1024;

export function createCircuitBreakerRegistry(
  breakers: ConfigType<typeof circuitBreakerConfig>,
  upstream: ConfigType<typeof upstreamConfig>,
  metrics?: UpstreamMetrics,
): CircuitBreakerRegistry {
  const registry = new CircuitBreakerRegistry();
  const shared = {
    backoff: {
      baseMs: breakers.resetTimeoutMs,
      maxMs: breakers.maxResetTimeoutMs,
      jitterRatio: 0.1,
    },
    halfOpenMaxProbes: breakers.halfOpenMaxProbes,
    // A probe is one upstream call, which the timeout bounds; the margin covers scheduling.
    probeTimeoutMs: upstream.timeoutMs + 1000,
  };
  registry.register(
    new CircuitBreaker({
      name: READ_BREAKER,
      policy: new FailureRatePolicy(
        breakers.read.failureRate,
        breakers.read.minimumCalls,
        breakers.read.windowMs,
      ),
      ...shared,
    }),
  );
  registry.register(
    new CircuitBreaker({
      name: WRITE_BREAKER,
      policy: new CountInWindowPolicy(breakers.write.failureThreshold, breakers.write.windowMs),
      ...shared,
    }),
  );
  const logger = new Logger('CircuitBreaker');
  registry.onStateChange((change) => logTransition(logger, change));
  if (metrics) {
    for (const breaker of registry.list()) metrics.recordBreaker(breaker.name, breaker.state);
    registry.onStateChange((change) => metrics.recordTransition(change));
  }
  return registry;
}

/** One line per transition, never one per call: warn when it opens, log otherwise. */
function logTransition(logger: Logger, change: CircuitStateChange): void {
  const what = `Circuit "${change.breaker}" ${change.from} -> ${change.to} (${change.reason})`;
  if (change.to === CircuitState.Open) {
    const cause =
      change.reason === 'failure-threshold'
        ? `${change.failuresInWindow} failures in window`
        : `${change.failedProbes} failed probe(s)`;
    logger.warn(
      `${what}: ${cause}; rejecting calls for ${((change.waitMs ?? 0) / 1000).toFixed(1)} s`,
    );
  } else {
    logger.log(what);
  }
}

@Module({
  imports: [
    HttpModule.registerAsync({
      inject: [upstreamConfig.KEY],
      useFactory: (upstream: ConfigType<typeof upstreamConfig>) => ({
        baseURL: upstream.baseUrl,
        timeout: upstream.timeoutMs,
        maxRedirects: 0,
        maxContentLength: MAX_UPSTREAM_BODY_BYTES,
        headers: { accept: 'application/json' },
        transitional: { clarifyTimeoutError: true },
      }),
    }),
  ],
  providers: [
    {
      provide: CircuitBreakerRegistry,
      inject: [circuitBreakerConfig.KEY, upstreamConfig.KEY, UpstreamMetrics],
      useFactory: createCircuitBreakerRegistry,
    },
    EventGateway,
  ],
  exports: [EventGateway, CircuitBreakerRegistry],
})
export class UpstreamModule {}
