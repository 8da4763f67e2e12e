import { type Disposable } from '../common';
import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { CircuitBreakerRegistry } from '../circuit-breaker';
import {
  UpstreamCallEvents,
  type ExtraAttemptEvent,
  type UpstreamCallEvent,
} from '../upstream/upstream-call-events';
import { BREAKER_STATE_VALUE, METRICS } from './metric-names';

/** Turns the Event API client's call events and the breakers' transitions into metrics. */
@Injectable()
export class UpstreamMetrics implements OnModuleInit, OnModuleDestroy {
  private readonly subscriptions: Disposable[] = [];

  constructor(
    private readonly calls: UpstreamCallEvents,
    private readonly registry: CircuitBreakerRegistry,
    @InjectMetric(METRICS.upstreamRequestDuration)
    private readonly duration: Histogram<'operation' | 'outcome'>,
    @InjectMetric(METRICS.upstreamRequests)
    private readonly requests: Counter<'operation' | 'outcome'>,
    @InjectMetric(METRICS.circuitBreakerState)
    private readonly breakerState: Gauge<'name'>,
    @InjectMetric(METRICS.circuitBreakerTransitions)
    private readonly transitions: Counter<'name' | 'from' | 'to'>,
    @InjectMetric(METRICS.circuitBreakerRejections)
    private readonly rejections: Counter<'name'>,
    @InjectMetric(METRICS.upstreamHedges)
    private readonly hedges: Counter<'operation' | 'result'>,
    @InjectMetric(METRICS.retryBudgetRefusals)
    private readonly budgetRefusals: Counter<'operation' | 'kind'>,
  ) {}

  onModuleInit(): void {
    for (const breaker of this.registry.list()) {
      this.breakerState.set({ name: breaker.name }, BREAKER_STATE_VALUE[breaker.state]);
    }
    this.subscriptions.push(
      this.calls.on((call) => this.recordCall(call)),
      this.calls.extraAttempts.on((extra) => this.recordExtraAttempt(extra)),
      this.registry.onStateChange((change) => {
        this.transitions.inc({ name: change.breaker, from: change.from, to: change.to });
        this.breakerState.set({ name: change.breaker }, BREAKER_STATE_VALUE[change.to]);
      }),
    );
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
  }

  private recordExtraAttempt({ operation, kind, result }: ExtraAttemptEvent): void {
    if (result === 'refused') this.budgetRefusals.inc({ operation, kind });
    else if (kind === 'hedge') this.hedges.inc({ operation, result });
  }

  private recordCall({ operation, breaker, outcome, durationSeconds }: UpstreamCallEvent): void {
    this.requests.inc({ operation, outcome });
    if (outcome === 'rejected') {
      this.rejections.inc({ name: breaker });
      return; // no upstream call was made: nothing to time
    }
    if (outcome === 'overloaded') return; // refused by the concurrency limit: no call was made
    this.duration.observe({ operation, outcome }, durationSeconds);
  }
}
