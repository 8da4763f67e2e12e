import { Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { ClsModule } from 'nestjs-cls';
import {
  appConfig,
  circuitBreakerConfig,
  healthConfig,
  securityConfig,
  upstreamConfig,
} from './config/configuration';
import { validateEnvironment } from './config/environment';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      validate: validateEnvironment,
      load: [appConfig, upstreamConfig, circuitBreakerConfig, healthConfig, securityConfig],
    }),
    // The correlation id (Fastify's request id) for any provider, without threading it by hand.
    ClsModule.forRoot({
      global: true,
      interceptor: {
        mount: true,
        generateId: true,
        idGenerator: (context) => context.switchToHttp().getRequest<FastifyRequest>().id,
      },
    }),
    // Per client IP; probes and /metrics opt out with @SkipThrottle.
    ThrottlerModule.forRootAsync({
      inject: [securityConfig.KEY],
      useFactory: (security: ConfigType<typeof securityConfig>) => ({
        throttlers: [{ ttl: security.rateLimitTtlMs, limit: security.rateLimitMax }],
        errorMessage: 'Too many requests: retry after the number of seconds in Retry-After',
      }),
    }),
    LoggingModule,
    MetricsModule,
    UsersModule,
    EventsModule,
    HealthModule,
  ],
  providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
})
export class AppModule {}
