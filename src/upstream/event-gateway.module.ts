import { type Clock, CLOCK } from '../common';
import { HttpModule } from '@nestjs/axios';
import { ClockModule } from '../common/clock.module';
import { TracingModule } from '../tracing/tracing.module';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CircuitBreakerRegistry } from '../circuit-breaker';

import type { GatewayConfig } from '../common/config/gateway-config';
import { createCircuitBreakerRegistry } from './upstream-breakers';
import { EventGateway } from './event-gateway';
import { UpstreamCallEvents } from './upstream-call-events';
import {
  createUpstreamConcurrencyLimit,
  UPSTREAM_CONCURRENCY_LIMIT,
} from './upstream-concurrency-limit';
import { parseUpstreamJson } from './upstream-json';

/** Largest upstream body the gateway reads; anything bigger is a malformed answer. */
const MAX_UPSTREAM_BODY_BYTES = 1024 * 1024;

/**
 * The Event API client, its circuit breakers, its concurrency limit and its call events. Features
 * inject the client; health and metrics read the breaker registry and the limit, and listen to the
 * call events.
 */
@Module({
  imports: [
    ClockModule,
    TracingModule,
    HttpModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<GatewayConfig, true>) => ({
        baseURL: config.get('upstream.baseUrl', { infer: true }),
        // The base URL's user and password, kept out of the URL (it is logged and traced).
        auth: config.get('upstream.credentials', { infer: true }),
        // No proxy named in the environment: no per-call lookup of one either.
        ...(config.get('upstream.environmentProxy', { infer: true }) ? {} : { proxy: false }),
        // No `timeout`: the client gives every call one deadline (an AbortSignal) instead.
        maxRedirects: 0,
        maxContentLength: MAX_UPSTREAM_BODY_BYTES,
        // JSON as axios parses it, but a deeply nested body is refused before it is parsed.
        transformResponse: [parseUpstreamJson],
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
    {
      provide: UPSTREAM_CONCURRENCY_LIMIT,
      inject: [ConfigService, CLOCK],
      useFactory: (config: ConfigService<GatewayConfig, true>, clock: Clock) =>
        createUpstreamConcurrencyLimit(config.get('concurrencyLimit', { infer: true }), clock),
    },
    UpstreamCallEvents,
    EventGateway,
  ],
  exports: [EventGateway, CircuitBreakerRegistry, UpstreamCallEvents, UPSTREAM_CONCURRENCY_LIMIT],
})
export class EventGatewayModule {}
