import { type DynamicModule, Module, type Type } from '@nestjs/common';
import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
  PrometheusModule,
} from '@willsoto/nestjs-prometheus';
import { ReadCacheModule } from '../read-cache/read-cache.module';
import { RedisModule } from '../redis/redis.module';
import { TracingModule } from '../tracing/tracing.module';
import { EventGatewayModule } from '../upstream/event-gateway.module';
import { HttpMetrics } from './http-metrics';
import { MetricsController } from './metrics.controller';
import { METRICS } from './metric-names';
import { EventDeliveryMetrics } from './event-delivery-metrics';
import { SharedStateMetrics } from './shared-state-metrics';
import { TracingMetrics } from './tracing-metrics';
import { UpstreamMetrics } from './upstream-metrics';
import { ConcurrencyLimitMetrics } from './concurrency-limit-metrics';

/** Buckets around the upstream's real latencies (500 ms event fetches, 3 s timeout). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10];

/** Made once: registering it collects Node's default metrics into the global registry. */
const PROMETHEUS = PrometheusModule.register({
  path: '/metrics',
  controller: MetricsController,
  defaultMetrics: { enabled: true },
});

const METRIC_PROVIDERS = [
  makeHistogramProvider({
    name: METRICS.httpRequestDuration,
    help: 'Duration of HTTP requests served, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: LATENCY_BUCKETS,
  }),
  makeHistogramProvider({
    name: METRICS.upstreamRequestDuration,
    help: 'Duration of upstream Event API calls, by operation and outcome',
    labelNames: ['operation', 'outcome'],
    buckets: LATENCY_BUCKETS,
  }),
  makeCounterProvider({
    name: METRICS.upstreamRequests,
    help: 'Upstream Event API calls, by operation and outcome (rejected: refused by the breaker; overloaded: refused by the concurrency limit)',
    labelNames: ['operation', 'outcome'],
  }),
  makeCounterProvider({
    name: METRICS.upstreamHedges,
    help: 'Hedged reads: hedges sent (admitted by the breaker) and hedges whose answer was used, by operation',
    labelNames: ['operation', 'result'],
  }),
  makeCounterProvider({
    name: METRICS.retryBudgetRefusals,
    help: 'Extra read attempts (hedges, retries) the retry budget refused, by operation and kind',
    labelNames: ['operation', 'kind'],
  }),
  makeGaugeProvider({
    name: METRICS.circuitBreakerState,
    help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open, 3 forced open, 4 disabled',
    labelNames: ['name'],
  }),
  makeCounterProvider({
    name: METRICS.circuitBreakerTransitions,
    help: 'Circuit breaker state transitions',
    labelNames: ['name', 'from', 'to'],
  }),
  makeCounterProvider({
    name: METRICS.circuitBreakerRejections,
    help: 'Calls rejected by a circuit breaker without contacting the upstream',
    labelNames: ['name'],
  }),
  makeGaugeProvider({
    name: METRICS.upstreamConcurrencyLimit,
    help: 'The adaptive limit on upstream calls in flight at once (absent when UPSTREAM_ADAPTIVE_CONCURRENCY=false)',
  }),
  makeGaugeProvider({
    name: METRICS.upstreamConcurrencyInFlight,
    help: 'Upstream calls holding a slot of the concurrency limit',
  }),
  makeGaugeProvider({
    name: METRICS.upstreamConcurrencyQueued,
    help: 'Upstream calls waiting for a slot of the concurrency limit',
  }),
  makeCounterProvider({
    name: METRICS.upstreamConcurrencyRefusals,
    help: 'Upstream calls the concurrency limit refused (503 UPSTREAM_OVERLOADED, or a stale copy), by reason: queue_full, queue_timeout, no_free_slot',
    labelNames: ['reason'],
  }),
  makeCounterProvider({
    name: METRICS.readCacheRequests,
    help: 'Cached reads by outcome: hit (fresh), stale (served while the upstream failed), miss',
    labelNames: ['outcome'],
  }),
  makeCounterProvider({
    name: METRICS.readCacheStoreErrors,
    help: 'Read-cache store operations that failed (get, set, delete) or entries that did not parse',
    labelNames: ['operation'],
  }),
  makeCounterProvider({
    name: METRICS.spansDropped,
    help: 'Spans dropped because the export queue was full (an unreachable or slow collector)',
  }),
  UpstreamMetrics,
  ConcurrencyLimitMetrics,
  SharedStateMetrics,
  TracingMetrics,
  EventDeliveryMetrics,
  HttpMetrics,
];

/** Prometheus metrics at GET /metrics: HTTP, upstream and breaker metrics plus Node's defaults. */
@Module({})
export class MetricsModule {
  /** @param queue the queue of accepted creates (with REDIS_URL), whose depth is measured. */
  static register(queue?: Type): DynamicModule {
    return {
      module: MetricsModule,
      imports: [
        EventGatewayModule,
        ReadCacheModule,
        RedisModule,
        TracingModule,
        ...(queue ? [queue] : []),
        PROMETHEUS,
      ],
      providers: METRIC_PROVIDERS,
      exports: [HttpMetrics],
    };
  }
}
