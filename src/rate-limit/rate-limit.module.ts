import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { GatewayConfig } from '../shared/config/gateway-config';
import { ClientThrottlerGuard } from './client-throttler.guard';
import { REDIS, RedisModule } from '../redis/redis.module';
import type { RedisConnection } from '../redis/redis-connection';
import { InMemoryThrottlerStorage } from './in-memory-throttler.storage';
import { FallbackThrottlerStorage, RedisThrottlerStorage } from './redis-throttler.storage';

/**
 * Rate limiting: RATE_LIMIT_MAX requests per RATE_LIMIT_TTL_MS per client address, over the whole
 * API (probes and /metrics opt out with @SkipThrottle), answered 429 with Retry-After. Counted in
 * Redis (one limit for every replica) when REDIS_URL is set, in process memory otherwise.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RedisModule],
      inject: [ConfigService, REDIS],
      useFactory: (config: ConfigService<GatewayConfig, true>, redis: RedisConnection | null) => {
        const security = config.get('security', { infer: true });
        const memory = new InMemoryThrottlerStorage();
        return {
          throttlers: [{ ttl: security.rateLimitTtlMs, limit: security.rateLimitMax }],
          errorMessage: 'Too many requests: retry after the number of seconds in Retry-After',
          storage: redis
            ? new FallbackThrottlerStorage(
                new RedisThrottlerStorage(redis, config.get('redis.keyPrefix', { infer: true })),
                memory,
              )
            : memory,
        };
      },
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: ClientThrottlerGuard }],
})
export class RateLimitModule {}
