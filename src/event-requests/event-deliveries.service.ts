import {
  DeliveryQueueFullError,
  type AcceptedCreates,
  type EventRequestView,
} from '../event-creation/accepted-creates';
import { type Clock, CLOCK, WALL_CLOCK } from '../common';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Job, Queue } from 'bullmq';
import { createHash, randomUUID } from 'node:crypto';

import { ApiError } from '../common/errors/api-error';

import type { GatewayConfig } from '../common/config/gateway-config';
import type { Event } from '../upstream/event-api.models';
import type { RedisConnection } from '../redis/redis-connection';
import { REDIS } from '../redis/redis.module';
import { withDeadline } from '../redis/queue-connection';
import { acceptanceUnknown, queueUnavailable } from './queue-errors';
import {
  DELIVER_EVENT_JOB,
  EVENT_DELIVERY_QUEUE,
  PENDING_STATES,
  type DeliveryJobData,
} from './event-request.model';
import { PendingBound } from './pending-bound';

/**
 * A request id that follows an event id: the same event is never queued twice. A UUIDv8 (RFC 9562:
 * version 8, variant 10, the other 122 bits from a SHA-256), so it passes the route's UUID check.
 */
export function requestIdFor(eventId: string): string {
  const hex = createHash('sha256').update(`event-request:${eventId}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export { acceptanceUnknown, queueUnavailable };

/**
 * One queue operation: refused at once while Redis is known to be away (503 STATE_UNAVAILABLE:
 * nothing was sent), and bounded by REDIS_QUEUE_TIMEOUT_MS. If Redis fails or is late during it
 * the answer is `failed()` (never a 500): STATE_UNAVAILABLE for reads, ACCEPTANCE_UNKNOWN for a
 * write that may have reached Redis.
 */
export async function onQueue<T>(
  redis: RedisConnection,
  timeoutMs: number,
  operation: () => Promise<T>,
  failed: () => ApiError = queueUnavailable,
): Promise<T> {
  if (!redis.available) throw queueUnavailable();
  try {
    return await withDeadline(operation(), timeoutMs, failed);
  } catch {
    throw failed();
  }
}

/**
 * Accepted creates on a durable queue (BullMQ on the shared Redis): queued now, delivered by a
 * worker of any replica, queryable from any replica.
 */
@Injectable()
export class EventDeliveries implements AcceptedCreates {
  private readonly keepDeliveredSeconds: number;
  private readonly timeoutMs: number;
  /** EVENT_DELIVERY_MAX_PENDING, checked before anything is queued. */
  private readonly bound: PendingBound;

  constructor(
    @InjectQueue(EVENT_DELIVERY_QUEUE) private readonly queue: Queue<DeliveryJobData>,
    @Inject(REDIS) private readonly redis: RedisConnection,
    @Inject(WALL_CLOCK) private readonly clock: Clock,
    config: ConfigService<GatewayConfig, true>,
    @Inject(CLOCK) monotonic: Clock,
  ) {
    this.keepDeliveredSeconds = Math.ceil(config.get('idempotency.ttlMs', { infer: true }) / 1000);
    this.timeoutMs = config.get('redis.queueTimeoutMs', { infer: true });
    this.bound = new PendingBound(
      config.get('eventDelivery.maxPending', { infer: true }),
      () => this.onQueue(() => this.pending()),
      () => monotonic.now(),
    );
    // Connection errors are the Redis connection's to report (once per outage); without a
    // listener BullMQ would print each one.
    queue.on('error', () => undefined);
  }

  /** Whether a create can be queued now (Redis answers). */
  get available(): boolean {
    return this.redis.available;
  }

  /**
   * Queues `event` for delivery. With `eventIdForRequest` (a key's event id), the request id is
   * derived from it, so queueing the same keyed create again returns the request already queued.
   * Refused with DELIVERY_QUEUE_FULL, before anything is written, when EVENT_DELIVERY_MAX_PENDING
   * creates are pending (see PendingBound for how exact that is). With `mayExist` the job says so,
   * and its first run looks the event up before sending it.
   */
  async enqueue(
    event: Event,
    {
      eventIdForRequest,
      mayExist = false,
    }: { readonly eventIdForRequest?: string; readonly mayExist?: boolean } = {},
  ): Promise<EventRequestView> {
    const requestId = eventIdForRequest ? requestIdFor(eventIdForRequest) : randomUUID();
    if (!(await this.bound.admit())) {
      // A keyed create queued before (its claim's outcome was lost) is answered, not refused.
      const queued = eventIdForRequest ? await this.find(requestId) : undefined;
      if (queued) return queued;
      throw new DeliveryQueueFullError(this.bound.max);
    }
    try {
      return await this.add(event, requestId, mayExist);
    } finally {
      this.bound.settled();
    }
  }

  /** Pending creates on the queue: waiting, delayed or being delivered (one Redis round trip). */
  async pending(): Promise<number> {
    const counts = await this.queue.getJobCounts(...PENDING_STATES);
    return PENDING_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
  }

  private async add(event: Event, requestId: string, mayExist: boolean): Promise<EventRequestView> {
    const data: DeliveryJobData = {
      requestId,
      event,
      createdAt: new Date(this.clock.now()).toISOString(),
      ...(mayExist ? { mayExist } : {}),
    };
    const job = await this.onQueue(
      () =>
        this.queue.add(DELIVER_EVENT_JOB, data, {
          jobId: requestId,
          // Retried with the worker's backoff until delivered, refused or too old (see the worker).
          attempts: 1_000_000,
          backoff: { type: 'delivery' },
          removeOnComplete: { age: this.keepDeliveredSeconds },
          removeOnFail: { age: 7 * this.keepDeliveredSeconds },
        }),
      acceptanceUnknown,
    );
    // A duplicate id returns the stored job, whose data may be older than `data`: read it back
    // (the job is queued whatever that read does: a failed read answers what was queued).
    const stored = await this.find(job.id ?? requestId).catch(() => undefined);
    return stored ?? this.view(job, 'pending');
  }

  /** Where an accepted create stands, or undefined if there is none with this id. */
  async find(requestId: string): Promise<EventRequestView | undefined> {
    // The state first: a job read after it is at least as far along (a completed job's record
    // already holds when it finished).
    const state = await this.onQueue(() => this.queue.getJobState(requestId));
    const job = await this.onQueue(() => this.queue.getJob(requestId));
    if (!job || state === 'unknown') return undefined;
    const status = state === 'completed' ? 'delivered' : state === 'failed' ? 'failed' : 'pending';
    return this.view(job, status);
  }

  private onQueue<T>(operation: () => Promise<T>, failed?: () => ApiError): Promise<T> {
    return onQueue(this.redis, this.timeoutMs, operation, failed);
  }

  private view(job: Job<DeliveryJobData>, status: EventRequestView['status']): EventRequestView {
    return {
      id: job.data.requestId,
      status,
      eventId: job.data.event.id,
      attempts: job.attemptsMade,
      ...(status !== 'delivered' && job.failedReason ? { lastError: job.failedReason } : {}),
      createdAt: job.data.createdAt,
      ...(status === 'delivered' && job.finishedOn
        ? { deliveredAt: new Date(job.finishedOn).toISOString() }
        : {}),
    };
  }
}
