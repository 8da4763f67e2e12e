import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { CircuitStateChange } from '../upstream/circuit-breaker/circuit-breaker';
import { CircuitOpenError } from '../upstream/circuit-breaker/circuit-breaker.errors';
import {
  UpstreamHttpError,
  UpstreamMalformedResponseError,
  UpstreamNetworkError,
  UpstreamTimeoutError,
} from '../upstream/upstream.errors';
import { BREAKER_STATE_VALUE, METRICS } from './metric-names';

/** How an upstream call ended, as a metric label. */
export type UpstreamOutcome =
  | 'success'
  | 'http_4xx'
  | 'http_5xx'
  | 'http_other'
  | 'timeout'
  | 'network'
  | 'malformed'
  | 'rejected'
  | 'error';

export function upstreamOutcome(error: unknown): UpstreamOutcome {
  if (error === undefined) return 'success';
  if (error instanceof CircuitOpenError) return 'rejected';
  if (error instanceof UpstreamTimeoutError) return 'timeout';
  if (error instanceof UpstreamNetworkError) return 'network';
  if (error instanceof UpstreamMalformedResponseError) return 'malformed';
  if (error instanceof UpstreamHttpError) {
    if (error.upstreamStatus >= 500) return 'http_5xx';
    if (error.upstreamStatus >= 400) return 'http_4xx';
    return 'http_other';
  }
  return 'error';
}

/** Records upstream calls and breaker activity; the EventGateway and the breaker registry feed it. */
@Injectable()
export class UpstreamMetrics {
  constructor(
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
  ) {}

  /** One finished upstream call attempt (a retry is a second attempt). */
  recordCall(operation: string, error: unknown, seconds: number): void {
    const outcome = upstreamOutcome(error);
    this.requests.inc({ operation, outcome });
    if (outcome === 'rejected') {
      this.rejections.inc({ name: (error as CircuitOpenError).breaker });
      return; // no upstream call was made: nothing to time
    }
    this.duration.observe({ operation, outcome }, seconds);
  }

  recordBreaker(name: string, state: keyof typeof BREAKER_STATE_VALUE): void {
    this.breakerState.set({ name }, BREAKER_STATE_VALUE[state]);
  }

  recordTransition(change: CircuitStateChange): void {
    this.transitions.inc({ name: change.breaker, from: change.from, to: change.to });
    this.recordBreaker(change.breaker, change.to);
  }
}
