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

  async check<const Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const session = this.healthIndicators.check(key);
    // After a stall (no disconnection) only a command that succeeds shows Redis is back: while it
    // is marked away, each readiness probe sends one PING (bounded by REDIS_COMMAND_TIMEOUT_MS),
    // so readiness and `redis_up` recover without waiting for traffic.
    if (this.redis && !this.redis.up && this.redis.available) {
      await this.redis.run((client) => client.ping()).catch(() => undefined);
    }
    if (this.redis?.up) return session.up();
    return session.degraded({
      message:
        'unavailable: reads and creates go to the upstream, rate limits and idempotency keys are per replica until it is back',
    });
  }
}
