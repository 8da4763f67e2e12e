import { type Clock, WALL_CLOCK } from '../common';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { GatewayConfig } from '../common/config/gateway-config';
import type { RedisConnection } from '../redis/redis-connection';
import { REDIS, RedisModule } from '../redis/redis.module';
import { ClockModule } from '../common/clock.module';
import { MemoryCacheStore, RedisCacheStore, type CacheStore } from './cache-store';
import { CACHE_STORE, ReadCache, ReadCacheEvents } from './read-cache.service';

/**
 * The read cache: in Redis (shared by every replica) when REDIS_URL is set, in process memory
 * otherwise. The feature controllers serve their reads through it and the create path
 * invalidates what it changes.
 */
@Module({
  imports: [ClockModule, RedisModule],
  providers: [
    ReadCacheEvents,
    {
      provide: CACHE_STORE,
      inject: [ConfigService, REDIS, ReadCacheEvents, WALL_CLOCK],
      useFactory: (
        config: ConfigService<GatewayConfig, true>,
        redis: RedisConnection | null,
        events: ReadCacheEvents,
        clock: Clock,
      ): CacheStore => {
        if (!redis) {
          return new MemoryCacheStore(config.get('readCache.maxEntries', { infer: true }), () =>
            clock.now(),
          );
        }
        return new RedisCacheStore(redis, config.get('redis.keyPrefix', { infer: true }), () =>
          events.emit({ kind: 'store-error', operation: 'parse' }),
        );
      },
    },
    ReadCache,
  ],
  exports: [ReadCache, ReadCacheEvents],
})
export class ReadCacheModule {}
