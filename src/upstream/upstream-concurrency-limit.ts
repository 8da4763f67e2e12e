import type { Clock } from '../common';
import type { GatewayConfig } from '../common/config/gateway-config';
import { AdaptiveConcurrencyLimit } from '../load-control/adaptive-concurrency-limit';

/**
 * Injection token of the process-wide adaptive concurrency limit toward the upstream: an
 * `AdaptiveConcurrencyLimit`, or `null` with `UPSTREAM_ADAPTIVE_CONCURRENCY=false`.
 */
export const UPSTREAM_CONCURRENCY_LIMIT = Symbol('UPSTREAM_CONCURRENCY_LIMIT');

/** The limit the settings describe, on the monotonic clock; `null` when it is turned off. */
export function createUpstreamConcurrencyLimit(
  settings: GatewayConfig['concurrencyLimit'],
  clock: Clock,
): AdaptiveConcurrencyLimit | null {
  if (!settings.enabled) return null;
  return new AdaptiveConcurrencyLimit({
    initialLimit: settings.initialLimit,
    minLimit: settings.minLimit,
    maxLimit: settings.maxLimit,
    latencyFloor: settings.latencyFloor,
    queueSize: settings.queueSize,
    queueTimeoutMs: settings.queueTimeoutMs,
    clock,
  });
}
