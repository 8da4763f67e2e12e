import { type Disposable } from '../common';
import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';

import { Tracing } from '../tracing/tracing.service';
import { METRICS } from './metric-names';

/** Spans the exporter had to drop (its queue was full): the cost of an unreachable collector. */
@Injectable()
export class TracingMetrics implements OnModuleInit, OnModuleDestroy {
  private subscription?: Disposable;

  constructor(
    private readonly tracing: Tracing,
    @InjectMetric(METRICS.spansDropped) private readonly dropped: Counter,
  ) {}

  onModuleInit(): void {
    this.dropped.inc(0);
    this.subscription = this.tracing.dropped.on((count) => this.dropped.inc(count));
  }

  onModuleDestroy(): void {
    this.subscription?.dispose();
  }
}
