import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RedisConnection } from '../redis/redis-connection';
import { REDIS, RedisModule } from '../redis/redis.module';
import type { GatewayConfig } from '../common/config/gateway-config';
import { ClientRateLimit, RATE_LIMIT_STORAGE } from './client-rate-limit';
import { InMemoryThrottlerStorage } from './in-memory-throttler.storage';
import { FallbackThrottlerStorage, RedisThrottlerStorage } from './redis-throttler.storage';

/**
 * Rate limiting: RATE_LIMIT_MAX requests per RATE_LIMIT_TTL_MS per client address, over the whole
 * API (probes and /metrics apart), answered 429 with Retry-After. Counted in Redis (one limit for
 * every replica) when REDIS_URL is set, in process memory otherwise. The request pipeline applies
 * it (`ClientRateLimit`).
 */
@Module({
  imports: [RedisModule],
  providers: [
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [ConfigService, REDIS],
      useFactory: (
        config: ConfigService<GatewayConfig, true>,
        redis: RedisConnection | null,
      ): ThrottlerStorage => {
        const memory = new InMemoryThrottlerStorage();
        if (!redis) return memory;
        return new FallbackThrottlerStorage(
          new RedisThrottlerStorage(redis, config.get('redis.keyPrefix', { infer: true })),
          memory,
        );
      },
    },
    ClientRateLimit,
  ],
  exports: [ClientRateLimit],
})
export class RateLimitModule {}
