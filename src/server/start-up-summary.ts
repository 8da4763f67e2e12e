import type { GatewayConfig } from '../common/config/gateway-config';

/** A URL as it may be logged: user name and password replaced, so no secret reaches a log. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = parsed.username === '' ? '' : '***';
    parsed.password = parsed.password === '' ? '' : '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

/**
 * One line for each optional part of the gateway, saying whether it runs and what it does, for the
 * start-up log: an operator sees at once what this process was configured with.
 */
export function optionalParts(config: GatewayConfig): string[] {
  const redis = config.redis.url;
  const worker = config.eventDelivery.worker;
  return [
    redis === undefined
      ? 'Redis: off (rate limits, read cache and Idempotency-Keys in this process; Prefer: respond-async not applied)'
      : `Redis: ${withoutCredentials(redis)} (rate limits, read cache, Idempotency-Keys and the create queue shared by every replica)`,
    redis === undefined
      ? 'Delivery worker: off (no create queue without REDIS_URL)'
      : worker
        ? 'Delivery worker: on in this process (EVENT_DELIVERY_WORKER=true)'
        : 'Delivery worker: off in this process (EVENT_DELIVERY_WORKER=false: another Deployment delivers)',
    config.admin.token === undefined
      ? 'Admin routes: off (set ADMIN_TOKEN to control the breakers at /admin)'
      : 'Admin routes: on at /admin (Authorization: Bearer <ADMIN_TOKEN>)',
    config.tracing.export === undefined
      ? 'Tracing export: off (spans are made and trace ids logged; set OTEL_EXPORTER_OTLP_ENDPOINT to export)'
      : `Tracing export: OTLP ${config.tracing.export.protocol} to ${config.tracing.export.collector}`,
  ];
}
