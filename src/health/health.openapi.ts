import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

const heapUp = { heap: { status: 'up' } };

const breakers = (writeState: string, writeRetryAfterSeconds = 0) => ({
  status: writeState === 'CLOSED' ? 'up' : 'degraded',
  breakers: {
    'event-api.read': {
      state: 'CLOSED',
      failuresInWindow: 0,
      callsInWindow: 12,
      retryAfterSeconds: 0,
      policy: '50% of at least 20 calls within 10000 ms',
    },
    'event-api.write': {
      state: writeState,
      failuresInWindow: writeState === 'CLOSED' ? 0 : 3,
      callsInWindow: writeState === 'CLOSED' ? 4 : 3,
      retryAfterSeconds: writeRetryAfterSeconds,
      policy: '3 failures within 30000 ms',
    },
  },
});

const lifecycleUp = { lifecycle: { status: 'up' } };

const concurrencyLimit = { status: 'up', limit: 100, inFlight: 3, queued: 0 };

/** Examples shaped exactly like the gateway's answers (a test compares them with real ones). */
export const HEALTH_EXAMPLES = {
  live: { status: 'ok', info: heapUp, error: {}, details: heapUp },
  ready: {
    status: 'ok',
    info: { ...lifecycleUp, circuitBreakers: breakers('CLOSED'), concurrencyLimit },
    error: {},
    details: { ...lifecycleUp, circuitBreakers: breakers('CLOSED'), concurrencyLimit },
  },
  degraded: {
    status: 'degraded',
    info: { ...lifecycleUp, circuitBreakers: breakers('OPEN', 9), concurrencyLimit },
    error: {},
    details: { ...lifecycleUp, circuitBreakers: breakers('OPEN', 9), concurrencyLimit },
  },
  shuttingDown: {
    status: 'error',
    info: { circuitBreakers: breakers('CLOSED'), concurrencyLimit },
    error: { lifecycle: { status: 'down', message: 'shutting down' } },
    details: {
      lifecycle: { status: 'down', message: 'shutting down' },
      circuitBreakers: breakers('CLOSED'),
      concurrencyLimit,
    },
  },
} as const;

export function ApiLivenessResponses(): MethodDecorator {
  return applyDecorators(
    ApiResponse({ status: 200, description: 'Alive', example: HEALTH_EXAMPLES.live }),
    ApiResponse({
      status: 503,
      description: 'The heap is nearly exhausted: the pod should be restarted',
      example: {
        status: 'error',
        info: {},
        error: { heap: { status: 'down', message: 'Used heap exceeded the set threshold' } },
        details: { heap: { status: 'down', message: 'Used heap exceeded the set threshold' } },
      },
    }),
  );
}

export function ApiReadinessResponses(): MethodDecorator {
  return applyDecorators(
    ApiResponse({
      status: 200,
      description:
        'Ready (`ok`), or `degraded` while a breaker is open, forced open or half-open: the pod still serves (fast 503s for the affected calls)',
      examples: {
        ok: { summary: 'Every breaker closed', value: HEALTH_EXAMPLES.ready },
        degraded: { summary: 'The write breaker is open', value: HEALTH_EXAMPLES.degraded },
      },
    }),
    ApiResponse({
      status: 503,
      description:
        'Not ready: shutting down (the load balancer should drain the pod), or a breaker is open with READINESS_FAIL_ON_OPEN_CIRCUIT=true',
      example: HEALTH_EXAMPLES.shuttingDown,
    }),
  );
}
