import type { Event } from '../upstream/event-api.models';

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
  /** Queues \`event\` for delivery; the request id follows \`eventIdForRequest\` when given. */
  enqueue(event: Event, eventIdForRequest?: string): Promise<EventRequestView>;
}

export const ACCEPTED_CREATES = Symbol('ACCEPTED_CREATES');
