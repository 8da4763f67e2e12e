import type { Event } from '../upstream/event-api.models';

/**
 * Injection token of the queue inspector. Code outside this folder depends on it (and on types),
 * never on the classes' files, so BullMQ is loaded only when the queue exists (REDIS_URL).
 */
export const QUEUE_INSPECTOR = Symbol('QUEUE_INSPECTOR');

/** The queue of accepted creates. */
export const EVENT_DELIVERY_QUEUE = 'event-deliveries';
export const DELIVER_EVENT_JOB = 'deliver-event';

/** What a queued create carries. */
export interface DeliveryJobData {
  readonly requestId: string;
  readonly event: Event;
  /** When the create was accepted (ISO 8601). */
  readonly createdAt: string;
  /**
   * Set just before the event is first sent: a run that finds it set (a retry, or a worker taking
   * over from one that died) asks the upstream whether the event exists before sending again.
   */
  readonly sendStartedAt?: string;
}
