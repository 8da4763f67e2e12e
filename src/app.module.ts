import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import { ClockModule } from './common/clock.module';
import type { GatewayConfig } from './config/gateway-config';
import { EventCreationModule } from './event-creation/event-creation.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { LegacyModule } from './legacy/legacy.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { ReadCacheModule } from './read-cache/read-cache.module';
import { RedisModule } from './redis/redis.module';
import { TracingModule } from './tracing/tracing.module';
import { UsersModule } from './users/users.module';
import { gatewayConfigModule } from './config/gateway-config.module';

@Module({})
export class AppModule {
  /** The whole gateway, configured by `config` (see `loadConfig`): validated once, before this. */
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        gatewayConfigModule(config),
        ClockModule,
        TracingModule,
        RedisModule,
        IdempotencyModule,
        RateLimitModule,
        ReadCacheModule,
        LoggingModule,
        MetricsModule,
        UsersModule,
        EventsModule,
        EventCreationModule,
        ...(config.redis.url === undefined ? [] : [eventRequestsModule()]),
        LegacyModule,
        HealthModule,
        // Operators' breaker controls exist only with a token to guard them.
        ...(config.admin.token === undefined ? [] : [AdminModule]),
      ],
    };
  }
}

/**
 * The queue of accepted creates, loaded only when it is configured: BullMQ and ioredis take ~25 MiB
 * and ~150 ms to load, which a gateway without REDIS_URL should not pay.
 */
function eventRequestsModule(): Type {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand, see above */
  const loaded =
    require('./event-requests/event-requests.module') as typeof import('./event-requests/event-requests.module');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return loaded.EventRequestsModule;
}
