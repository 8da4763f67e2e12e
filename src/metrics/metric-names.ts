/** Every custom metric the gateway exports (Node's default metrics come on top). */
export const METRICS = {
  httpRequestDuration: 'http_request_duration_seconds',
  upstreamRequestDuration: 'upstream_request_duration_seconds',
  upstreamRequests: 'upstream_requests_total',
  upstreamHedges: 'upstream_hedges_total',
  retryBudgetRefusals: 'upstream_retry_budget_refusals_total',
  circuitBreakerState: 'circuit_breaker_state',
  circuitBreakerTransitions: 'circuit_breaker_transitions_total',
  circuitBreakerRejections: 'circuit_breaker_rejections_total',
  upstreamConcurrencyLimit: 'upstream_concurrency_limit',
  upstreamConcurrencyInFlight: 'upstream_concurrency_in_flight',
  upstreamConcurrencyQueued: 'upstream_concurrency_queued',
  upstreamConcurrencyRefusals: 'upstream_concurrency_refusals_total',
  readCacheRequests: 'read_cache_requests_total',
  readCacheStoreErrors: 'read_cache_store_errors_total',
  redisUp: 'redis_up',
  spansDropped: 'otel_spans_dropped_total',
  eventDeliveryAttempts: 'event_delivery_attempts_total',
  eventDeliveryJobs: 'event_delivery_jobs',
  eventDeliveryOldestPending: 'event_delivery_oldest_pending_seconds',
  eventDeliveryPending: 'event_delivery_pending',
  eventDeliveryMaxPending: 'event_delivery_max_pending',
} as const;

/** `circuit_breaker_state` values. */
export const BREAKER_STATE_VALUE = {
  CLOSED: 0,
  HALF_OPEN: 1,
  OPEN: 2,
  FORCED_OPEN: 3,
  DISABLED: 4,
} as const;
