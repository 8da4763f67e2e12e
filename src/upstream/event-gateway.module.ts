import { type Clock, CLOCK } from '../shared';
import { HttpModule } from '@nestjs/axios';
import { ClockModule } from '../shared/clock.module';
import { TracingModule } from '../tracing/tracing.module';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CircuitBreakerRegistry } from '../circuit-breaker';

import type { GatewayConfig } from '../shared/config/gateway-config';
import { createCircuitBreakerRegistry } from './upstream-breakers';
import { EventGateway } from './event-gateway';
import { UpstreamCallEvents } from './upstream-call-events';

/** Largest upstream body the gateway reads; anything bigger is a malformed answer. */
const MAX_UPSTREAM_BODY_BYTES = 1024 * 1024;

/**
 * The Event API client, its circuit breakers and its call events. Features inject the client;
 * health and metrics read the breaker registry and listen to the call events.
 */
@Module({
  imports: [
    ClockModule,
    TracingModule,
    HttpModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<GatewayConfig, true>) => ({
        baseURL: config.get('upstream.baseUrl', { infer: true }),
        // No `timeout`: the client gives every call one deadline (an AbortSignal) instead.
        maxRedirects: 0,
        maxContentLength: MAX_UPSTREAM_BODY_BYTES,
        headers: { accept: 'application/json' },
      }),
    }),
  ],
  providers: [
    {
      provide: CircuitBreakerRegistry,
      inject: [ConfigService, CLOCK],
      useFactory: (config: ConfigService<GatewayConfig, true>, clock: Clock) =>
        createCircuitBreakerRegistry(
          config.get('circuitBreaker', { infer: true }),
          config.get('upstream.timeoutMs', { infer: true }),
          clock,
        ),
    },
    UpstreamCallEvents,
    EventGateway,
  ],
  exports: [EventGateway, CircuitBreakerRegistry, UpstreamCallEvents],
})
export class EventGatewayModule {}
