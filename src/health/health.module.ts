import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { UpstreamModule } from '../upstream/upstream.module';
import { CircuitBreakerHealthIndicator } from './circuit-breaker.health';
import { HealthController } from './health.controller';
import { ShutdownState } from './shutdown-state';
import { ShutdownHealthIndicator } from './shutdown.health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), UpstreamModule],
  controllers: [HealthController],
  providers: [CircuitBreakerHealthIndicator, ShutdownState, ShutdownHealthIndicator],
})
export class HealthModule {}
