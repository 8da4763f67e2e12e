import { ApiError } from '../common/errors/api-error';
import type { Event } from '../upstream/event-api.models';

/** What a create refused for a full queue is told to wait, in seconds. */
export const QUEUE_FULL_RETRY_AFTER_S = 5;

/**
 * 503 DELIVERY_QUEUE_FULL: the queue of accepted creates holds EVENT_DELIVERY_MAX_PENDING pending
 * creates. Nothing was stored (no job; a key's claim is released as it was), so it is "not done":
 * the same request, with the same Idempotency-Key or none, can be sent again after Retry-After.
 */
export class DeliveryQueueFullError extends ApiError {
  override readonly name = 'DeliveryQueueFullError';

  constructor(maxPending: number) {
    super({
      status: 503,
      code: 'DELIVERY_QUEUE_FULL',
      message: `The queue of accepted creates is full (${maxPending} pending): nothing was done, retry after Retry-After`,
      headers: { 'Retry-After': String(QUEUE_FULL_RETRY_AFTER_S) },
      log: 'none',
    });
  }
}

/** `GET /event-requests/{id}`: where an accepted create stands. */
export interface EventRequestView {
  readonly id: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly eventId: string;
  readonly attempts: number;
  readonly lastError?: string;
  readonly createdAt: string;
  readonly deliveredAt?: string;
}

/**
 * The queue of accepted creates, as the create path needs it (\`Prefer: respond-async\`). The
 * queue's module (\`EventRequestsModule\`, only with REDIS_URL) provides it under this token, so the
 * create path depends on no queue code and BullMQ is loaded only when the queue exists.
 */
export interface AcceptedCreates {
  /** Whether the queue can take a create now (Redis is reachable). */
  readonly available: boolean;
  /**
   * Queues \`event\` for delivery; the request id follows \`eventIdForRequest\` when given. Throws
   * \`DeliveryQueueFullError\` (nothing queued) past EVENT_DELIVERY_MAX_PENDING, unless the request
   * is already queued (a keyed create queued before). \`mayExist\`: an earlier attempt under the
   * same key may have stored the event already, so its delivery looks it up before sending.
   */
  enqueue(
    event: Event,
    options?: { readonly eventIdForRequest?: string; readonly mayExist?: boolean },
  ): Promise<EventRequestView>;
}

export const ACCEPTED_CREATES = Symbol('ACCEPTED_CREATES');
