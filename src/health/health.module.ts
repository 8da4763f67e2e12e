import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { EventApiModule } from '../event-api/event-api.module';
import { CircuitBreakerHealthIndicator } from './circuit-breaker.health';
import { HealthController } from './health.controller';
import { EventRequestsHealthIndicator } from './event-requests.health';
import { RedisHealthIndicator } from './redis.health';
import { ShutdownState } from './shutdown-state';
import { ShutdownHealthIndicator } from './shutdown.health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), EventApiModule],
  controllers: [HealthController],
  providers: [
    CircuitBreakerHealthIndicator,
    ShutdownState,
    ShutdownHealthIndicator,
    RedisHealthIndicator,
    EventRequestsHealthIndicator,
  ],
})
export class HealthModule {}
