import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { AdaptiveConcurrencyLimit } from '../load-control/adaptive-concurrency-limit';
import { UPSTREAM_CONCURRENCY_LIMIT } from '../upstream/upstream-concurrency-limit';

/**
 * The upstream concurrency limit, for operators: the current limit, calls in flight and calls
 * waiting for a slot (`{ enabled: false }` when it is turned off). Informational: always `up`.
 * A limit that refuses calls is the gateway protecting a shared upstream; taking the pod out of
 * service would only move its load to the other replicas.
 */
@Injectable()
export class ConcurrencyLimitHealthIndicator {
  constructor(
    private readonly healthIndicators: HealthIndicatorService,
    @Optional()
    @Inject(UPSTREAM_CONCURRENCY_LIMIT)
    private readonly limit?: AdaptiveConcurrencyLimit | null,
  ) {}

  check<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const session = this.healthIndicators.check(key);
    return session.up(this.limit ? { ...this.limit.snapshot() } : { enabled: false });
  }
}
