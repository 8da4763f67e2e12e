import { backoffMs, WALL_CLOCK, type Clock } from '../common';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';

import { ApiError } from '../common/errors/api-error';
import type { GatewayConfig } from '../common/config/gateway-config';
import { EventGateway } from '../upstream/event-gateway';
import { UpstreamCircuitOpenError } from '../upstream/event-api.errors';
import { EventWriter } from '../event-creation/event-writer';
import type { RedisConnection } from '../redis/redis-connection';
import { reconnectDelayMs } from '../redis/redis-connection';
import { REDIS } from '../redis/redis.module';
import { DeliveryEvents, type DeliveryOutcome } from './delivery-events';
import { EVENT_DELIVERY_QUEUE, type DeliveryJobData } from './event-request.model';

/** How long a shutdown waits for jobs in hand. */
const GRACEFUL_CLOSE_MS = 5000;

/** Pause before retry n (1, 2, …): 1 s doubling to at most 60 s, each at 50–100% (jitter). */
export function deliveryBackoffMs(
  attemptsMade: number,
  random: () => number = Math.random,
): number {
  return backoffMs(attemptsMade - 1, { baseMs: 1000, maxMs: 60_000, jitterRatio: 0.5 }, random);
}

/** A create given up for good; its outcome is reported once BullMQ has recorded it as failed. */
class GivenUp extends UnrecoverableError {
  constructor(
    message: string,
    readonly outcome: Extract<DeliveryOutcome, 'refused' | 'expired'>,
  ) {
    super(message);
  }
}

/**
 * Delivers accepted creates upstream, in this process unless EVENT_DELIVERY_WORKER=false (a
 * separate Deployment can run the workers). Never sends while the write breaker refuses writes: the
 * job waits for the breaker's retry-after without using an attempt. Retries with backoff and
 * jitter until delivered, refused for good (the user does not exist), or older than
 * EVENT_DELIVERY_MAX_AGE_MS (from an operator's retry, if any). Exactly once, across crashes and
 * operators' retries: once a send may have started, or after a retry, every run asks the upstream
 * whether the event exists before sending it again.
 */
@Injectable()
export class EventDeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('EventDelivery');
  private worker?: Worker<DeliveryJobData>;

  constructor(
    private readonly config: ConfigService<GatewayConfig, true>,
    @Inject(REDIS) private readonly redis: RedisConnection,
    private readonly writer: EventWriter,
    private readonly eventApi: EventGateway,
    private readonly outcomes: DeliveryEvents,
    @Inject(WALL_CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    const settings = this.config.get('eventDelivery', { infer: true });
    if (!settings.worker) return;
    const url = this.config.get('redis.url', { infer: true });
    if (url === undefined) return;
    this.worker = new Worker<DeliveryJobData>(
      EVENT_DELIVERY_QUEUE,
      (job, token) => this.track(this.deliver(job, token)),
      {
        // Its own blocking connections (BullMQ workers need them), from the same URL; back soon
        // after Redis is (BullMQ's default waits up to 20 s between attempts).
        connection: { url, retryStrategy: reconnectDelayMs },
        prefix: `${this.config.get('redis.keyPrefix', { infer: true })}queue`,
        concurrency: settings.concurrency,
        lockDuration: settings.lockMs,
        stalledInterval: settings.lockMs,
        // A job whose worker died is taken over, however many times that happens: it is never
        // failed for it (delivery is idempotent).
        maxStalledCount: 1_000_000,
        // An idle worker waits for jobs in blocking calls of at most a second: a graceful close
        // (which waits for the pending one) is quick.
        drainDelay: 1,
        settings: { backoffStrategy: (attemptsMade: number) => deliveryBackoffMs(attemptsMade) },
      },
    );
    this.worker.on('error', (error) => this.logger.debug(`Worker: ${error.message}`));
    // Reported once the job is recorded as completed, so whoever hears it reads it as delivered.
    this.worker.on('completed', (_job, result: { sent?: boolean } | undefined) =>
      this.outcomes.emit(result?.sent === false ? 'already_delivered' : 'delivered'),
    );
    // Like 'completed': heard once the job is recorded as failed, so whoever hears it reads it so.
    this.worker.on('failed', (job, error) => {
      if (!(error instanceof UnrecoverableError)) return;
      this.logger.warn(`Create ${job?.id ?? '?'} failed for good: ${error.message}`);
      if (error instanceof GivenUp) this.outcomes.emit(error.outcome);
    });
  }

  /**
   * Stops taking jobs when shutdown starts; jobs in hand get GRACEFUL_CLOSE_MS to finish (none
   * while Redis is away: they cannot), then the worker is closed by force, so it is never left
   * running with its lock and stalled-job timers and reconnecting connections. A job still in hand
   * then is taken over (as stalled) by a worker of another replica once its lock expires.
   * BullMQ's own graceful close is not used: it also waits for the pending blocking fetch, which
   * after a Redis outage may never return, and a later forced close cannot cut it short (it
   * returns the pending close).
   */
  async beforeApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    if (this.redis.up && this.inHand.size > 0) {
      const deadline = sleep(GRACEFUL_CLOSE_MS, undefined, { ref: false });
      // No new jobs from here on (without waiting for the ones in hand: that is below).
      await Promise.race([worker.pause(true).catch(() => undefined), deadline]);
      await Promise.race([Promise.allSettled([...this.inHand]), deadline]);
    }
    await worker.close(true);
  }

  /** Deliveries in progress, for the graceful part of the shutdown. */
  private readonly inHand = new Set<Promise<unknown>>();

  private track<T>(delivery: Promise<T>): Promise<T> {
    this.inHand.add(delivery);
    void delivery.finally(() => this.inHand.delete(delivery)).catch(() => undefined);
    return delivery;
  }

  private async deliver(
    job: Job<DeliveryJobData>,
    token?: string,
  ): Promise<{ deliveredAt: string; sent: boolean }> {
    const { event, createdAt, retriedAt } = job.data;
    const now = this.clock.now();
    const maxAgeMs = this.config.get('eventDelivery.maxAgeMs', { infer: true });
    // An operator's retry starts the clock again (else a create given up for its age would be
    // given up again at once).
    if (now - Date.parse(retriedAt ?? createdAt) > maxAgeMs) {
      throw new GivenUp(`Not delivered within ${maxAgeMs} ms: given up`, 'expired');
    }
    const refusal = this.eventApi.writeRefusal();
    if (refusal) return this.postpone(job, token, refusal.retryAfterMs);
    // A retried dead letter, or a create an earlier synchronous attempt under its key may have
    // stored, is always looked up first, whatever its earlier runs did.
    const mayExist =
      job.data.sendStartedAt !== undefined || retriedAt !== undefined || job.data.mayExist === true;
    if (!mayExist) {
      await job.updateData({ ...job.data, sendStartedAt: new Date(now).toISOString() });
    }
    let sent: boolean;
    try {
      ({ sent } = await this.writer.store(event, { mayExist }));
    } catch (error) {
      if (error instanceof UpstreamCircuitOpenError) {
        return this.postpone(job, token, error.retryAfterMs);
      }
      if (error instanceof ApiError && error.toProblem().code === 'UNKNOWN_USER') {
        throw new GivenUp(`Refused: user "${event.userId}" does not exist`, 'refused');
      }
      this.outcomes.emit('retry');
      throw error;
    }
    return { deliveredAt: new Date(this.clock.now()).toISOString(), sent };
  }

  /** Waits for the breaker's retry-after without using an attempt: nothing was sent. */
  private async postpone(
    job: Job<DeliveryJobData>,
    token: string | undefined,
    retryAfterMs: number,
  ): Promise<never> {
    this.outcomes.emit('postponed');
    await job.moveToDelayed(Date.now() + Math.max(1000, retryAfterMs), token);
    throw new DelayedError();
  }
}
