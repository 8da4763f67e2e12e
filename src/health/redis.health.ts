import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { RedisConnection } from '../redis/redis-connection';
import { REDIS } from '../redis/redis.module';

/**
 * Redis, when REDIS_URL is set: `up`, or `degraded` while it is away. Never `down`: without Redis
 * the gateway still serves (reads and creates from the upstream, rate limits per replica), so
 * taking pods out of service would only turn answers into refused connections.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly healthIndicators: HealthIndicatorService,
    @Optional() @Inject(REDIS) private readonly redis: RedisConnection | null,
  ) {}

  get configured(): boolean {
    return this.redis !== null;
  }

  check<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const session = this.healthIndicators.check(key);
    if (this.redis?.up) return session.up();
    return session.degraded({
      message:
        'unavailable: reads and creates go to the upstream, rate limits and idempotency keys are per replica until it is back',
    });
  }
}
