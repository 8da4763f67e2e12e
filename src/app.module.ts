import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import type { GatewayConfig } from './config/gateway-config';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { LegacyModule } from './legacy/legacy.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
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
        // Per client IP; probes and /metrics opt out with @SkipThrottle.
        ThrottlerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (settings: ConfigService<GatewayConfig, true>) => {
            const security = settings.get('security', { infer: true });
            return {
              throttlers: [{ ttl: security.rateLimitTtlMs, limit: security.rateLimitMax }],
              errorMessage: 'Too many requests: retry after the number of seconds in Retry-After',
            };
          },
        }),
        LoggingModule,
        MetricsModule,
        UsersModule,
        EventsModule,
        LegacyModule,
        HealthModule,
      ],
      providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
    };
  }
}
