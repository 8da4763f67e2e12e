import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import {
  appConfig,
  circuitBreakerConfig,
  healthConfig,
  upstreamConfig,
} from './config/configuration';
import { validateEnvironment } from './config/environment';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      validate: validateEnvironment,
      load: [appConfig, upstreamConfig, circuitBreakerConfig, healthConfig],
    }),
    UsersModule,
    EventsModule,
    HealthModule,
  ],
})
export class AppModule {}
