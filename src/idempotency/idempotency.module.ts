import { type Clock, WALL_CLOCK } from '../common';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { GatewayConfig } from '../common/config/gateway-config';
import type { RedisConnection } from '../redis/redis-connection';
import { REDIS, RedisModule } from '../redis/redis.module';
import { ClockModule } from '../common/clock.module';
import {
  FallbackIdempotencyStore,
  MemoryIdempotencyStore,
  RedisIdempotencyStore,
  type IdempotencyStore,
} from './idempotency.store';
import { IDEMPOTENCY_STORE, Idempotency } from './idempotency.service';

/** Idempotency keys: in Redis (every replica) when REDIS_URL is set, in process memory otherwise. */
@Module({
  imports: [ClockModule, RedisModule],
  providers: [
    {
      provide: IDEMPOTENCY_STORE,
      inject: [ConfigService, REDIS, WALL_CLOCK],
      useFactory: (
        config: ConfigService<GatewayConfig, true>,
        redis: RedisConnection | null,
        clock: Clock,
      ): IdempotencyStore => {
        const memory = new MemoryIdempotencyStore(() => clock.now());
        if (!redis) return memory;
        return new FallbackIdempotencyStore(
          new RedisIdempotencyStore(redis, config.get('redis.keyPrefix', { infer: true })),
          memory,
        );
      },
    },
    Idempotency,
  ],
  exports: [Idempotency],
})
export class IdempotencyModule {}
