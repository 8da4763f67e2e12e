import { type Disposable } from '../common';
import {
  Inject,
  Injectable,
  Optional,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Counter, Gauge, register } from 'prom-client';
import type { GatewayConfig } from '../common/config/gateway-config';

import { DeliveryEvents } from '../event-requests/delivery-events';
import { QUEUE_INSPECTOR } from '../event-requests/event-request.model';
import type { QueueInspector, QueueState } from '../event-requests/queue-inspector';
import { METRICS } from './metric-names';

/** How often scrapes may make the queue be read (each read is about a dozen Redis commands). */
const QUEUE_READ_INTERVAL_MS = 10_000;

/** Registered once per process (the registry is shared), whatever the number of apps. */
function metric<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}

/**
 * The queue of accepted creates (only with REDIS_URL): jobs by state and the age of the oldest
 * pending one, the pending count against its bound (EVENT_DELIVERY_MAX_PENDING), read from the
 * queue when Prometheus scrapes, and delivery attempts by outcome.
 */
@Injectable()
export class EventDeliveryMetrics implements OnModuleInit, OnModuleDestroy {
  private subscription?: Disposable;
  private registered = false;

  constructor(
    @Optional() @Inject(QUEUE_INSPECTOR) private readonly inspector?: QueueInspector,
    @Optional() private readonly deliveries?: DeliveryEvents,
    @Optional() private readonly config?: ConfigService<GatewayConfig, true>,
  ) {}

  onModuleInit(): void {
    const inspector = this.inspector;
    const deliveries = this.deliveries;
    if (!inspector || !deliveries) return;
    this.registered = true;
    const attempts = metric(
      METRICS.eventDeliveryAttempts,
      () =>
        new Counter({
          name: METRICS.eventDeliveryAttempts,
          help: 'Delivery attempts of accepted creates, by outcome (delivered, already_delivered, retry, postponed, refused, expired)',
          labelNames: ['outcome'],
        }),
    );
    this.subscription = deliveries.on((outcome) => attempts.inc({ outcome }));
    // Read from the queue at most once every QUEUE_READ_INTERVAL_MS, in the background: a scrape
    // answers with the last values at once, however often it comes and however slow Redis is
    // (only the very first scrape waits for a first read). The queue is shared, so every replica
    // reports the same numbers. While Redis is away the last values stay.
    let last: QueueState | undefined;
    let readAt = -Infinity;
    let reading: Promise<void> | undefined;
    const read = async (): Promise<QueueState | undefined> => {
      if (!reading && performance.now() - readAt >= QUEUE_READ_INTERVAL_MS) {
        readAt = performance.now();
        reading = inspector
          .state()
          .then(
            (state) => void (last = state),
            () => undefined,
          )
          .finally(() => (reading = undefined));
      }
      if (last === undefined) await reading;
      return last;
    };
    metric(
      METRICS.eventDeliveryJobs,
      () =>
        new Gauge({
          name: METRICS.eventDeliveryJobs,
          help: 'Accepted creates on the queue, by state (waiting, delayed, active, failed)',
          labelNames: ['state'],
          async collect() {
            const state = await read();
            if (!state) return;
            for (const key of ['waiting', 'delayed', 'active', 'failed'] as const) {
              this.set({ state: key }, state[key]);
            }
          },
        }),
    );
    metric(
      METRICS.eventDeliveryOldestPending,
      () =>
        new Gauge({
          name: METRICS.eventDeliveryOldestPending,
          help: 'Age in seconds of the oldest accepted create not yet delivered',
          async collect() {
            const state = await read();
            if (state) this.set(state.oldestPendingSeconds);
          },
        }),
    );
    metric(
      METRICS.eventDeliveryPending,
      () =>
        new Gauge({
          name: METRICS.eventDeliveryPending,
          help: 'Accepted creates pending (waiting, delayed, active), as counted against event_delivery_max_pending',
          async collect() {
            const state = await read();
            if (state) this.set(state.pending);
          },
        }),
    );
    metric(
      METRICS.eventDeliveryMaxPending,
      () =>
        new Gauge({
          name: METRICS.eventDeliveryMaxPending,
          help: 'EVENT_DELIVERY_MAX_PENDING: pending creates past which async creates are refused (DELIVERY_QUEUE_FULL)',
        }),
    ).set(this.config?.get('eventDelivery.maxPending', { infer: true }) ?? 0);
  }

  onModuleDestroy(): void {
    this.subscription?.dispose();
    if (!this.registered) return;
    for (const name of [
      METRICS.eventDeliveryAttempts,
      METRICS.eventDeliveryJobs,
      METRICS.eventDeliveryOldestPending,
      METRICS.eventDeliveryPending,
      METRICS.eventDeliveryMaxPending,
    ]) {
      register.removeSingleMetric(name);
    }
  }
}
