import { ApiError } from '../common/errors/api-error';

// The queue's errors, in a file of their own: the admin routes' OpenAPI document shows them
// without loading the queue's code (BullMQ is loaded only with REDIS_URL).

/** Redis outages are logged once by the Redis connection; a client is told when to retry. */
const QUEUE_RETRY_AFTER_S = 2;

/** The queue lives in Redis: while Redis does not answer, neither does the queue. */
export function queueUnavailable(): ApiError {
  return new ApiError({
    status: 503,
    code: 'STATE_UNAVAILABLE',
    message: 'Accepted creates cannot be reached while shared state is unavailable: retry shortly',
    headers: { 'Retry-After': String(QUEUE_RETRY_AFTER_S) },
    log: 'none',
  });
}

/**
 * Queueing failed after the command may have reached Redis (it timed out, or the connection
 * dropped): the create may have been accepted and may be delivered. Never "not done".
 */
export function acceptanceUnknown(): ApiError {
  return new ApiError({
    status: 503,
    code: 'ACCEPTANCE_UNKNOWN',
    message:
      'Shared state did not confirm that the create was queued: it may still be delivered. Retry with the same Idempotency-Key',
    headers: { 'Retry-After': String(QUEUE_RETRY_AFTER_S) },
    log: 'none',
  });
}
