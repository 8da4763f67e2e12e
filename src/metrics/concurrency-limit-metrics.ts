import { type Disposable } from '../common';
import {
  Inject,
  Injectable,
  Optional,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge } from 'prom-client';
import type { AdaptiveConcurrencyLimit } from '../load-control/adaptive-concurrency-limit';
import { UPSTREAM_CONCURRENCY_LIMIT } from '../upstream/upstream-concurrency-limit';
import { METRICS } from './metric-names';

/**
 * The upstream concurrency limit: its current limit, calls in flight and waiting (gauges, set on
 * every change) and its refusals by reason. Nothing is reported while the limit is turned off.
 */
@Injectable()
export class ConcurrencyLimitMetrics implements OnModuleInit, OnModuleDestroy {
  private subscription?: Disposable;

  constructor(
    @InjectMetric(METRICS.upstreamConcurrencyLimit) private readonly limitGauge: Gauge,
    @InjectMetric(METRICS.upstreamConcurrencyInFlight) private readonly inFlight: Gauge,
    @InjectMetric(METRICS.upstreamConcurrencyQueued) private readonly queued: Gauge,
    @InjectMetric(METRICS.upstreamConcurrencyRefusals)
    private readonly refusals: Counter<'reason'>,
    @Optional()
    @Inject(UPSTREAM_CONCURRENCY_LIMIT)
    private readonly limit?: AdaptiveConcurrencyLimit | null,
  ) {}

  onModuleInit(): void {
    const limit = this.limit;
    if (!limit) return;
    const show = ({ limit: current, inFlight, queued }: ReturnType<typeof limit.snapshot>) => {
      this.limitGauge.set(current);
      this.inFlight.set(inFlight);
      this.queued.set(queued);
    };
    show(limit.snapshot());
    this.subscription = limit.events.on((event) => {
      if (event.kind === 'refused') this.refusals.inc({ reason: event.reason });
      else show(event);
    });
  }

  onModuleDestroy(): void {
    this.subscription?.dispose();
  }
}
