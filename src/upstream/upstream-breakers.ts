import { type Clock } from '../common';
import { Logger } from '@nestjs/common';
import {
  CircuitBreaker,
  CircuitBreakerRegistry,
  CircuitState,
  CountInWindowPolicy,
  FailureRatePolicy,
  type CircuitStateChange,
} from '../circuit-breaker';
import type { GatewayConfig } from '../common/config/gateway-config';

/** Guards every read (idempotent GET) of the Event API. */
export const READ_BREAKER = 'event-api.read';
/** Guards creates (POST /addEvent). */
export const WRITE_BREAKER = 'event-api.write';

/**
 * The Event API's breakers: reads trip on a failure rate with a minimum volume (they are many and
 * see transient errors); writes trip on a count in a window (the original system's rule). Each
 * transition is logged once, never each rejected call.
 */
export function createCircuitBreakerRegistry(
  breakers: GatewayConfig['circuitBreaker'],
  upstreamTimeoutMs: number,
  clock: Clock,
): CircuitBreakerRegistry {
  const registry = new CircuitBreakerRegistry();
  const shared = {
    backoff: {
      baseMs: breakers.resetTimeoutMs,
      maxMs: breakers.maxResetTimeoutMs,
      jitterRatio: 0.1,
    },
    halfOpenMaxProbes: breakers.halfOpenMaxProbes,
    // A probe is one upstream call, which the deadline bounds; the margin covers scheduling.
    probeTimeoutMs: upstreamTimeoutMs + 1000,
    clock,
  };
  const { read, write } = breakers;
  registry.register(
    new CircuitBreaker({
      name: READ_BREAKER,
      policy: new FailureRatePolicy(read.failureRate, read.minimumCalls, read.windowMs),
      ...shared,
    }),
  );
  registry.register(
    new CircuitBreaker({
      name: WRITE_BREAKER,
      policy: new CountInWindowPolicy(write.failureThreshold, write.windowMs),
      ...shared,
    }),
  );
  const logger = new Logger('CircuitBreaker');
  registry.onStateChange((change) => logTransition(logger, change));
  return registry;
}

/** One line per transition: warn when it opens, log otherwise. */
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
  } else if (change.to === CircuitState.ForcedOpen) {
    logger.warn(`${what}: rejecting every call until reset`);
  } else {
    logger.log(what);
  }
}
