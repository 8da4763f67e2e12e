import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Queue } from 'bullmq';
import type { GatewayConfig } from '../common/config/gateway-config';
import { withDeadline } from '../redis/queue-connection';
import { EVENT_DELIVERY_QUEUE, PENDING_STATES, type DeliveryJobData } from './event-request.model';

/** Counts of the delivery queue and the age of its oldest pending create. */
export interface QueueState {
  readonly waiting: number;
  readonly delayed: number;
  readonly active: number;
  readonly failed: number;
  /** Counted against the bound: waiting, delayed and active (and prioritized, never used). */
  readonly pending: number;
  /** EVENT_DELIVERY_MAX_PENDING: past it, async creates are refused (DELIVERY_QUEUE_FULL). */
  readonly maxPending: number;
  readonly oldestPendingSeconds: number;
}

/** Reads the delivery queue's state, for readiness and metrics. */
@Injectable()
export class QueueInspector {
  private readonly timeoutMs: number;
  private readonly maxPending: number;

  constructor(
    @InjectQueue(EVENT_DELIVERY_QUEUE) private readonly queue: Queue<DeliveryJobData>,
    config: ConfigService<GatewayConfig, true>,
  ) {
    this.timeoutMs = config.get('redis.queueTimeoutMs', { infer: true });
    this.maxPending = config.get('eventDelivery.maxPending', { infer: true });
  }

  /** The queue's state; rejects after REDIS_QUEUE_TIMEOUT_MS (the queue's connection waits). */
  state(now = Date.now()): Promise<QueueState> {
    return withDeadline(
      this.read(now),
      this.timeoutMs,
      () => new Error('The delivery queue did not answer in time'),
    );
  }

  private async read(now: number): Promise<QueueState> {
    const counts = await this.queue.getJobCounts(...PENDING_STATES, 'failed');
    // The oldest pending create is at the head of the waiting list, in hand, or delayed: look at
    // a bounded number of each.
    const pending = [
      ...(await this.queue.getWaiting(0, 0)),
      ...(await this.queue.getActive(0, 49)),
      ...(await this.queue.getDelayed(0, 99)),
    ];
    const oldest = Math.min(now, ...pending.map((job) => Date.parse(job.data.createdAt)));
    return {
      waiting: counts.waiting ?? 0,
      delayed: counts.delayed ?? 0,
      active: counts.active ?? 0,
      failed: counts.failed ?? 0,
      pending: PENDING_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0),
      maxPending: this.maxPending,
      oldestPendingSeconds: Math.max(0, Math.floor((now - oldest) / 1000)),
    };
  }
}
