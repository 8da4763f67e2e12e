import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AdminModule } from './admin/admin.module';
import type { GatewayConfig } from './config/gateway-config';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { LegacyModule } from './legacy/legacy.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { ReadCacheModule } from './read-cache/read-cache.module';
import { RedisModule } from './redis/redis.module';
import { UsersModule } from './users/users.module';

@Module({})
export class AppModule {
  /** The whole gateway, configured by `config` (see `loadConfig`): validated once, before this. */
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          skipProcessEnv: true,
          load: [() => config],
        }),
        RedisModule,
        RateLimitModule,
        ReadCacheModule,
        LoggingModule,
        MetricsModule,
        UsersModule,
        EventsModule,
        LegacyModule,
        HealthModule,
        // Operators' breaker controls exist only with a token to guard them.
        ...(config.admin.token === undefined ? [] : [AdminModule]),
      ],
    };
  }
}
