import { type Clock, CLOCK } from '../common';
import { HttpModule } from '@nestjs/axios';
import { ClockModule } from '../common/clock.module';
import { TracingModule } from '../tracing/tracing.module';
import { Module } from '@nestjs/common';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
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
import { upstreamHttpAdapter } from './upstream-http-adapter';

/** Largest upstream body the gateway reads; anything bigger is a malformed answer. */
const MAX_UPSTREAM_BODY_BYTES = 1024 * 1024;

/** Node's global agent's settings: keep-alive, the most recently used socket first, 5 s idle. */
const UPSTREAM_AGENT_OPTIONS = { keepAlive: true, scheduling: 'lifo', timeout: 5000 } as const;

/** The options of the EventGateway's axios client. */
export function upstreamClientOptions(config: ConfigService<GatewayConfig, true>) {
  return {
    baseURL: config.get('upstream.baseUrl', { infer: true }),
    // The base URL's user and password, kept out of the URL (it is logged and traced).
    auth: config.get('upstream.credentials', { infer: true }),
    // A proxy named in the environment: axios's own adapter, which honours it. Otherwise the
    // gateway's lean transport (upstream-http-adapter.ts), and no per-call proxy lookup.
    ...(config.get('upstream.environmentProxy', { infer: true })
      ? {}
      : { proxy: false as const, adapter: upstreamHttpAdapter }),
    // The client's own keep-alive connections (as Node's global agent keeps them), so that the
    // gateway closes them when it shuts down (EventGateway.onApplicationShutdown).
    httpAgent: new HttpAgent(UPSTREAM_AGENT_OPTIONS),
    httpsAgent: new HttpsAgent(UPSTREAM_AGENT_OPTIONS),
    // No `timeout`: the client gives every call one deadline (an AbortSignal) instead.
    maxRedirects: 0,
    maxContentLength: MAX_UPSTREAM_BODY_BYTES,
    // JSON as axios parses it, but a deeply nested body is refused before it is parsed.
    transformResponse: [parseUpstreamJson],
    headers: { accept: 'application/json' },
  };
}

/**
 * The Event API client, its circuit breakers, its concurrency limit and its call events. Features
 * inject the client; health and metrics read the breaker registry and the limit, and listen to the
 * call events.
 */
@Module({
  imports: [
    ClockModule,
    TracingModule,
    HttpModule.registerAsync({ inject: [ConfigService], useFactory: upstreamClientOptions }),
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
