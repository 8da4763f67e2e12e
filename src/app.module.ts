import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { ClsModule } from 'nestjs-cls';
import {
  appConfig,
  circuitBreakerConfig,
  healthConfig,
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
      load: [appConfig, upstreamConfig, circuitBreakerConfig, healthConfig],
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
    LoggingModule,
    MetricsModule,
    UsersModule,
    EventsModule,
    HealthModule,
  ],
})
export class AppModule {}
