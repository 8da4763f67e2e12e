import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RedisModule } from '../redis/redis.module';
import { EventGatewayModule } from '../upstream/event-gateway.module';
import { CircuitBreakerHealthIndicator } from './circuit-breaker.health';
import { ConcurrencyLimitHealthIndicator } from './concurrency-limit.health';
import { HealthController } from './health.controller';
import { EventRequestsHealthIndicator } from './event-requests.health';
import { JwksHealthIndicator } from './jwks.health';
import { RedisHealthIndicator } from './redis.health';
import { ShutdownState } from './shutdown-state';
import { ShutdownHealthIndicator } from './shutdown.health';

@Module({})
export class HealthModule {
  /**
   * @param queue the queue of accepted creates (with REDIS_URL), listed in readiness.
   * @param auth the bearer authentication (with AUTH_*): its JWKS is listed in readiness.
   */
  static register(queue?: Type, auth?: Type): DynamicModule {
    return {
      module: HealthModule,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        EventGatewayModule,
        RedisModule,
        ...(queue ? [queue] : []),
        ...(auth ? [auth] : []),
      ],
      controllers: [HealthController],
      providers: [
        CircuitBreakerHealthIndicator,
        ConcurrencyLimitHealthIndicator,
        ShutdownState,
        ShutdownHealthIndicator,
        RedisHealthIndicator,
        EventRequestsHealthIndicator,
        JwksHealthIndicator,
      ],
    };
  }
}
