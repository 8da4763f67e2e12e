import type { Event } from '../upstream/event-api.models';

/**
 * Injection token of the queue inspector. Code outside this folder depends on it (and on types),
 * never on the classes' files, so BullMQ is loaded only when the queue exists (REDIS_URL).
 */
export const QUEUE_INSPECTOR = Symbol('QUEUE_INSPECTOR');

/** The queue of accepted creates. */
export const EVENT_DELIVERY_QUEUE = 'event-deliveries';
export const DELIVER_EVENT_JOB = 'deliver-event';

/**
 * The BullMQ states of a pending create, counted against EVENT_DELIVERY_MAX_PENDING: queued
 * (`waiting`; `prioritized` is never used but counted), waiting for a retry or for the write
 * breaker (`delayed`), or in a worker's hands (`active`). Delivered and failed ones are not.
 */
export const PENDING_STATES = ['waiting', 'prioritized', 'delayed', 'active'] as const;

/** Injection token of the dead letters (failed creates) for the admin routes. */
export const DEAD_LETTERS = Symbol('DEAD_LETTERS');

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
  /**
   * Set when the create was queued under an Idempotency-Key whose earlier synchronous attempt may
   * have stored the event (its effect unknown): every run looks the event up before sending.
   */
  readonly mayExist?: boolean;
  /**
   * Set when an operator retried the create after it failed (ISO 8601): EVENT_DELIVERY_MAX_AGE_MS
   * counts from then, and the event is looked up by id before it is sent again.
   */
  readonly retriedAt?: string;
}

/** A create given up (a BullMQ failed job), as `GET /admin/event-requests?status=failed` lists it. */
export interface DeadLetter {
  /** The request id (`GET /event-requests/{id}`). */
  readonly id: string;
  readonly event: Event;
  readonly createdAt: string;
  readonly failedAt: string;
  /** Why it was given up. */
  readonly reason: string;
  readonly attempts: number;
  /** When an operator last retried it, if ever. */
  readonly retriedAt?: string;
}

export interface DeadLetterPage {
  /** Newest failure first. */
  readonly items: readonly DeadLetter[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  readonly next?: string;
}

/** The outcome of a retry: the request again pending, or why it could not be retried. */
export type DeadLetterRetry =
  | { readonly retried: true; readonly eventId: string; readonly retriedAt: string }
  | { readonly retried: false; readonly reason: 'not-found' | 'not-failed' };

/** Failed creates, listed and retried by operators (only with REDIS_URL and ADMIN_TOKEN). */
export interface DeadLetters {
  /** Up to `limit` failed creates, newest failure first, after `cursor` (from an earlier page). */
  list(limit: number, cursor?: string): Promise<DeadLetterPage>;
  /** Moves a failed create back to the queue, once even under concurrent retries. */
  retry(id: string): Promise<DeadLetterRetry>;
}
