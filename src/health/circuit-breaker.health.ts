import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { healthConfig } from '../config/configuration';
import { CircuitBreakerRegistry } from '../upstream/circuit-breaker/circuit-breaker.registry';
import { CircuitState } from '../upstream/circuit-breaker/circuit-state';

/**
 * Reports every circuit breaker. CLOSED everywhere is `up`. An OPEN or HALF_OPEN breaker is
 * `degraded`: the pod still serves (fast 503s with Retry-After for the affected calls, everything
 * else as usual), because the upstream is shared by every replica and taking them all out of
 * service would turn those answers into refused connections. `READINESS_FAIL_ON_OPEN_CIRCUIT=true`
 * makes an OPEN breaker `down` (readiness answers 503) for operators who prefer that.
 */
@Injectable()
export class CircuitBreakerHealthIndicator {
  constructor(
    private readonly healthIndicators: HealthIndicatorService,
    private readonly registry: CircuitBreakerRegistry,
    @Inject(healthConfig.KEY) private readonly config: ConfigType<typeof healthConfig>,
  ) {}

  check<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const snapshots = this.registry.snapshots();
    const breakers = Object.fromEntries(
      snapshots.map((snapshot) => [
        snapshot.name,
        {
          state: snapshot.state,
          failuresInWindow: snapshot.failuresInWindow,
          callsInWindow: snapshot.callsInWindow,
          retryAfterSeconds: Math.ceil(snapshot.retryAfterMs / 1000),
          policy: snapshot.policy,
        },
      ]),
    );
    const session = this.healthIndicators.check(key);
    const open = snapshots.some((snapshot) => snapshot.state === CircuitState.Open);
    const impaired = snapshots.some((snapshot) => snapshot.state !== CircuitState.Closed);
    if (open && this.config.readinessFailOnOpenCircuit) return session.down({ breakers });
    if (impaired) return session.degraded({ breakers });
    return session.up({ breakers });
  }
}
