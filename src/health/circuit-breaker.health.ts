import { toSeconds } from '../common';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { CircuitBreakerRegistry, CircuitState } from '../circuit-breaker';
import type { GatewayConfig } from '../common/config/gateway-config';

/** States in which a breaker refuses calls. */
const REFUSING: ReadonlySet<CircuitState> = new Set([CircuitState.Open, CircuitState.ForcedOpen]);

/**
 * Reports every circuit breaker. CLOSED (or DISABLED by an operator) everywhere is `up`. An OPEN,
 * FORCED_OPEN or HALF_OPEN breaker is `degraded`: the pod still serves (fast 503s with Retry-After
 * for the affected calls, everything else as usual), because the upstream is shared by every
 * replica and taking them all out of service would turn those answers into refused connections.
 * `READINESS_FAIL_ON_OPEN_CIRCUIT=true` makes an OPEN or FORCED_OPEN breaker `down` (503).
 */
@Injectable()
export class CircuitBreakerHealthIndicator {
  private readonly failOnOpen: boolean;

  constructor(
    private readonly healthIndicators: HealthIndicatorService,
    private readonly registry: CircuitBreakerRegistry,
    config: ConfigService<GatewayConfig, true>,
  ) {
    this.failOnOpen = config.get('health.readinessFailOnOpenCircuit', { infer: true });
  }

  check<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const snapshots = this.registry.snapshots();
    const breakers = Object.fromEntries(
      snapshots.map((snapshot) => [
        snapshot.name,
        {
          state: snapshot.state,
          failuresInWindow: snapshot.failuresInWindow,
          callsInWindow: snapshot.callsInWindow,
          retryAfterSeconds: toSeconds(snapshot.retryAfterMs),
          policy: snapshot.policy,
        },
      ]),
    );
    const session = this.healthIndicators.check(key);
    const refusing = snapshots.some((snapshot) => REFUSING.has(snapshot.state));
    const impaired = refusing || snapshots.some((s) => s.state === CircuitState.HalfOpen);
    if (refusing && this.failOnOpen) return session.down({ breakers });
    if (impaired) return session.degraded({ breakers });
    return session.up({ breakers });
  }
}
