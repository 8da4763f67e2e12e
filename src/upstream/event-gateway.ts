import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigService } from '@nestjs/config';
import {
  context,
  defaultTextMapSetter,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { CircuitBreakerRegistry } from '../circuit-breaker';
import { backoffMs, CLOCK, withoutStackTrace, type Clock } from '../common';
import { CORRELATION_ID_HEADER } from '../common/correlation-id';
import { requestContext } from '../common/request-context';
import type { GatewayConfig } from '../common/config/gateway-config';
import {
  hedged,
  HedgedCallFailed,
  isLostRace,
  LatencyPercentile,
  realTimers,
  RetryBudget,
} from '../load-control';
import { Tracing } from '../tracing/tracing.service';
import { useCircuitBreaker, type BreakerRequestConfig } from './circuit-breaker.interceptors';
import { sampleOf, takeSlot } from './concurrency-slot';
import type {
  AdaptiveConcurrencyLimit,
  ReleaseSlot,
} from '../load-control/adaptive-concurrency-limit';
import { UPSTREAM_CONCURRENCY_LIMIT } from './upstream-concurrency-limit';
import {
  flattenDefaultHeaders,
  upstreamHttpAdapter,
  type UpstreamTransportOptions,
} from './upstream-http-adapter';
import {
  EventApiError,
  UpstreamCircuitOpenError,
  UpstreamHttpError,
  UpstreamOverloadedError,
  type UpstreamOutcome,
} from './event-api.errors';
import type { Event, NewEvent, User } from './event-api.models';
import {
  optional,
  parseEvent,
  parseEventList,
  parseUser,
  parseUserList,
  parseWriteAcknowledgement,
} from './event-api.parsers';
import { READ_BREAKER, WRITE_BREAKER } from './upstream-breakers';
import { UpstreamCallEvents, type UpstreamOperation } from './upstream-call-events';

/** One upstream call, fully described. Its result type is the parser's. */
export interface UpstreamCall<T> {
  readonly operation: UpstreamOperation;
  /** The circuit breaker that guards it. */
  readonly breaker: string;
  readonly method: 'GET' | 'POST';
  /** Path below the base URL, with every segment already encoded. */
  readonly path: string;
  readonly body?: unknown;
  /** Checks the untrusted body and builds the result; throws for a malformed body. */
  readonly parse: (data: unknown) => T;
}

/**
 * Runs `attempt(false)`, and once more, `attempt(true)`, after a jittered pause (50–100% of
 * `delayMs`) if it failed in a way whose verdict says a retry may help and `mayRetry` (asked only
 * then: a retry budget) allows it; otherwise the first error is thrown. For idempotent reads only.
 */
export async function retryOnce<T>(
  attempt: (retry: boolean) => Promise<T>,
  delayMs: number,
  mayRetry: () => boolean = () => true,
): Promise<T> {
  try {
    return await attempt(false);
  } catch (error) {
    if (!(error instanceof EventApiError) || !error.verdict.retryable || !mayRetry()) throw error;
    await sleep(backoffMs(0, { baseMs: delayMs, maxMs: delayMs, jitterRatio: 0.5 }));
    return attempt(true);
  }
}

/** Which attempt of a read (or the one attempt of a write) an upstream attempt is. */
type AttemptRole = 'first' | 'retry' | 'hedge';

/**
 * Single flight: while a call for a key is in flight, callers with the same key share its promise
 * instead of starting another. Nothing is kept once it settles (this is not a cache).
 */
export class InFlightCalls<Origin = unknown> {
  private readonly calls = new Map<string, { call: Promise<unknown>; origin: Origin }>();

  /**
   * The call in flight for `key`, or a new one started with `start`. `origin` (what started it,
   * e.g. a span) is kept with the call; `onJoin` hears the origin of a call that is shared.
   */
  share<T>(
    key: string,
    start: () => Promise<T>,
    origin: Origin,
    onJoin?: (origin: Origin) => void,
  ): Promise<T> {
    const inFlight = this.calls.get(key);
    if (inFlight) {
      onJoin?.(inFlight.origin);
      return inFlight.call as Promise<T>;
    }
    const call = start().finally(() => this.calls.delete(key));
    this.calls.set(key, { call, origin });
    return call;
  }

  get size(): number {
    return this.calls.size;
  }
}

/**
 * The EventGateway: the only code that knows the upstream Event API's URLs, shapes and quirks.
 * Every call goes through its `@nestjs/axios` `HttpService`, whose interceptor pair is the circuit
 * breaker (`circuit-breaker.interceptors.ts`); methods return domain types or throw
 * `EventApiError`s, never HTTP responses.
 */
@Injectable()
export class EventGateway implements OnApplicationShutdown {
  private readonly settings: GatewayConfig['upstream'];
  private readonly upstreamHost: string;
  private readonly detachBreakers: () => void;
  /** Reads in flight, each with the span context of the request that started it. */
  private readonly inFlightReads = new InFlightCalls<SpanContext | undefined>();
  /** Each read operation's recent latencies, which time its hedges. */
  private readonly latencies = new Map<UpstreamOperation, LatencyPercentile>();
  /** What retries and hedges of reads spend from. */
  private readonly retryBudget: RetryBudget;
  /**
   * Where a hedge delay starts: when the first attempt's request was written, with the gateway's
   * own transport, which says when (`onSent`); when the attempt started, with axios's (a proxy).
   */
  private readonly hedgeDelayFrom: 'sent' | 'start';

  constructor(
    private readonly http: HttpService,
    private readonly registry: CircuitBreakerRegistry,
    private readonly calls: UpstreamCallEvents,
    private readonly tracing: Tracing,
    config: ConfigService<GatewayConfig, true>,
    @Inject(UPSTREAM_CONCURRENCY_LIMIT)
    private readonly concurrencyLimit: AdaptiveConcurrencyLimit | null,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.settings = config.get('upstream', { infer: true });
    this.retryBudget = new RetryBudget({ ...this.settings.retryBudget, clock });
    // Read from the client itself: only the gateway's own transport reports the send.
    this.hedgeDelayFrom = http.axiosRef.defaults.adapter === upstreamHttpAdapter ? 'sent' : 'start';
    this.upstreamHost = new URL(this.settings.baseUrl).hostname;
    flattenDefaultHeaders(http.axiosRef);
    this.detachBreakers = useCircuitBreaker(http.axiosRef, registry, this.settings.timeoutMs);
  }

  /**
   * After the server has closed (requests still draining before that keep their breakers): the
   * breakers are detached and the client's upstream connections closed, idle or not. Calls still
   * out then belong to requests already answered (the rest of a failed fan-out); they fail with
   * the connection, and nothing holds a socket to the upstream once the gateway has closed.
   */
  onApplicationShutdown(): void {
    this.detachBreakers();
    const { httpAgent, httpsAgent } = this.http.axiosRef.defaults as {
      httpAgent?: { destroy(): void };
      httpsAgent?: { destroy(): void };
    };
    httpAgent?.destroy();
    httpsAgent?.destroy();
  }

  getUsers(): Promise<User[]> {
    return this.read({ ...GET, operation: 'getUsers', path: '/getUsers', parse: parseUserList });
  }

  /** The user, or `null` when the upstream has none (an empty 200, or a 404). */
  getUserById(id: string): Promise<User | null> {
    return orNullOn404(
      this.read({
        ...GET,
        operation: 'getUserById',
        path: `/getUserById/${encodeURIComponent(id)}`,
        parse: optional((data) => parseUser(data, id)),
      }),
    );
  }

  getEvents(): Promise<Event[]> {
    return this.read({ ...GET, operation: 'getEvents', path: '/getEvents', parse: parseEventList });
  }

  /**
   * The event, or `null` when the upstream has none. About 500 ms upstream.
   * @param ownerId the user it was listed under, for bodies that name no owner.
   */
  getEventById(id: string, ownerId?: string): Promise<Event | null> {
    const path = `/getEventById/${encodeURIComponent(id)}`;
    const call = {
      ...GET,
      operation: 'getEventById',
      path,
      parse: optional((data) => parseEvent(data, id, ownerId)),
    } as const;
    return orNullOn404(this.read(call, `${path}#${ownerId ?? ''}`));
  }

  /**
   * Sends a new event, whose id the caller chose, and resolves once the upstream acknowledged it.
   * Never retried: whether a failed create was stored is unknown to the client.
   */
  async addEvent(event: NewEvent): Promise<void> {
    await this.attempt({
      operation: 'addEvent',
      breaker: WRITE_BREAKER,
      method: 'POST',
      path: '/addEvent',
      body: event,
      parse: parseWriteAcknowledgement,
    });
  }

  /**
   * The 503 a create would get from the write breaker now, or `undefined` while it would be
   * admitted. A read of the breaker's state, not an admission (that is the interceptor's): for
   * refusing a create before any work is spent on it (reading its body, looking its user up).
   * Counted as a refusal when it refuses.
   */
  writeRefusal(): UpstreamCircuitOpenError | undefined {
    const rejection = this.registry.get(WRITE_BREAKER).preflight();
    if (!rejection) return undefined;
    const refusal = UpstreamCircuitOpenError.of(
      WRITE_BREAKER,
      rejection.state,
      rejection.retryAfterMs,
    );
    this.reportRefusal('addEvent', refusal);
    return refusal;
  }

  /**
   * A read: hedged when slow, retried once when its failure is retryable (at most one extra
   * attempt in all, and only while the retry budget allows it), and shared with identical reads
   * already in flight from any request. A shared call is made (and traced) under the request that
   * started it: only its correlation id and trace context are sent upstream, and it counts once
   * for the breaker and the metrics; a request that joins it gets a span link to the request that
   * started it, so its trace still leads to the upstream call it waited for.
   */
  private read<T>(call: UpstreamCall<T>, key = call.path): Promise<T> {
    const attempt = () => this.readOnce(call);
    if (!this.settings.coalesceReads) return attempt();
    const active = trace.getActiveSpan();
    return this.inFlightReads.share(key, attempt, active?.spanContext(), (origin) => {
      if (origin) active?.addLink({ context: origin, attributes: { 'event_api.coalesced': true } });
    });
  }

  /**
   * One read with its extra attempt: the first attempt, hedged once it is slower than the delay
   * (`hedgeDelayMs`); if it failed retryably and was not hedged, one retry. Every first attempt
   * earns the retry budget its share; the hedge and the retry each spend from it, and one it
   * refuses is not made (the first attempt's answer or error stands) and is reported.
   */
  private async readOnce<T>(call: UpstreamCall<T>): Promise<T> {
    this.retryBudget.deposit();
    let hedgeSent = false;
    const firstAttempt = async (): Promise<T> => {
      try {
        const result = await hedged(
          (role, signal, sent) => this.attempt(call, { role, signal, sent }),
          {
            delayMs: this.hedgeDelayMs(call.operation),
            delayFrom: this.hedgeDelayFrom,
            mayHedge: () => this.withdrawExtraAttempt(call.operation, 'hedge'),
          },
        );
        if (result.winner === 'hedge') {
          this.calls.extraAttempts.emit({
            operation: call.operation,
            kind: 'hedge',
            result: 'won',
          });
        }
        return result.value;
      } catch (error) {
        if (!(error instanceof HedgedCallFailed)) throw error;
        hedgeSent = error.hedged;
        throw error.firstError;
      }
    };
    return retryOnce(
      (retry) => (retry ? this.attempt(call, { role: 'retry' }) : firstAttempt()),
      this.settings.retryDelayMs,
      // A read whose hedge failed too has had its extra attempt.
      () => !hedgeSent && this.withdrawExtraAttempt(call.operation, 'retry'),
    );
  }

  /**
   * How long a read's first attempt runs alone before it is hedged: the operation's recent
   * percentile latency (`UPSTREAM_HEDGE_PERCENTILE`), clamped to the floor and the ceiling; the
   * ceiling while too few answers are known. `Infinity` (never) when hedging is off, or when the
   * delay would reach the deadline (the first attempt has failed by then).
   */
  private hedgeDelayMs(operation: UpstreamOperation): number {
    const { enabled, minDelayMs, maxDelayMs } = this.settings.hedge;
    if (!enabled) return Infinity;
    const observed = this.latencyOf(operation).value() ?? maxDelayMs;
    const delay = Math.min(Math.max(Math.ceil(observed), minDelayMs), maxDelayMs);
    return delay < this.settings.timeoutMs ? delay : Infinity;
  }

  private latencyOf(operation: UpstreamOperation): LatencyPercentile {
    let latency = this.latencies.get(operation);
    if (!latency) {
      latency = new LatencyPercentile({ percentile: this.settings.hedge.percentile });
      this.latencies.set(operation, latency);
    }
    return latency;
  }

  /** Takes one extra attempt from the retry budget, or reports its refusal. */
  private withdrawExtraAttempt(operation: UpstreamOperation, kind: 'hedge' | 'retry'): boolean {
    if (this.retryBudget.tryWithdraw()) return true;
    this.calls.extraAttempts.emit({ operation, kind, result: 'refused' });
    trace.getActiveSpan()?.addEvent('retry_budget.refused', {
      'event_api.operation': operation,
      'retry_budget.kind': kind,
    });
    return false;
  }

  /**
   * One attempt of one call, under one deadline. In order: a slot of the process-wide concurrency
   * limit (`takeSlot`: refused with 503 UPSTREAM_OVERLOADED before the HTTP client is asked, and
   * then no CLIENT span either, but an event on the request's span); the breaker's request
   * interceptor admits it (or refuses it before any socket opens); a CLIENT span (a retry is a
   * second one) whose context goes upstream in `traceparent`; the request; the breaker's response interceptor parses
   * the body and settles the permit; the attempt is reported to the call observers. A refused
   * attempt is no CLIENT span (its span is dropped unended, so never exported) but an event on the
   * request's span.
   *
   * A hedged read's attempts also stop when `signal` aborts: an attempt aborted because the other
   * one answered (a `LostRace`) is no failure for the breaker (its permit is released, the verdict
   * of an error that is not an upstream one) and ends as `cancelled`. A successful read's latency,
   * and a cancelled first attempt's time until then (a lower bound of it), feed the operation's
   * percentile.
   */
  private async attempt<T>(
    call: UpstreamCall<T>,
    {
      role = 'first',
      signal,
      sent,
    }: { role?: AttemptRole; signal?: AbortSignal; sent?: () => void } = {},
  ): Promise<T> {
    // One controller for the deadline and the hedged call's signal, both undone when the attempt
    // ends. (`AbortSignal.timeout` fires after every attempt, building an exception each time,
    // and `AbortSignal.any` keeps weak references: together about 2% of a fan-out's CPU.)
    const control = new AbortController();
    const attemptSignal = control.signal;
    const timeoutMs = this.settings.timeoutMs;
    const stopDeadline = realTimers(timeoutMs, () =>
      control.abort(
        withoutStackTrace(
          () => new DOMException(`Timed out after ${timeoutMs} ms`, 'TimeoutError'),
        ),
      ),
    );
    const forward = () => control.abort(signal?.reason);
    if (signal?.aborted) forward();
    else signal?.addEventListener('abort', forward, { once: true });
    try {
      const releaseSlot = await this.takeSlot(call, role, attemptSignal);
      try {
        return await this.attemptWithSlot(call, { role, signal, sent, attemptSignal, releaseSlot });
      } catch (error) {
        releaseSlot?.(); // freed without a sample, whatever failed before the request was made
        throw error;
      }
    } finally {
      stopDeadline();
      signal?.removeEventListener('abort', forward);
    }
  }

  /** The rest of `attempt`, once its slot (if any) is held; gives the slot back with a sample. */
  private async attemptWithSlot<T>(
    call: UpstreamCall<T>,
    {
      role,
      signal,
      sent,
      attemptSignal,
      releaseSlot,
    }: {
      readonly role: AttemptRole;
      /** The hedged call's signal (a lost race), if any. */
      readonly signal?: AbortSignal;
      /** That signal and the attempt's deadline together. */
      readonly attemptSignal: AbortSignal;
      readonly releaseSlot?: ReleaseSlot;
      /** Told when the request has been written to its socket (the lean transport only). */
      readonly sent?: () => void;
    },
  ): Promise<T> {
    const span = this.tracing.tracer.startSpan(`event-api ${call.operation}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: call.method,
        [ATTR_URL_FULL]: `${this.settings.baseUrl}${call.path}`,
        [ATTR_SERVER_ADDRESS]: this.upstreamHost,
        'event_api.operation': call.operation,
        'circuit_breaker.name': call.breaker,
        ...(role === 'hedge' ? { 'event_api.hedge': true } : {}),
        ...(role === 'retry' ? { 'event_api.retry': true } : {}),
      },
    });
    const request: BreakerRequestConfig<T> & UpstreamTransportOptions = {
      method: call.method,
      url: call.path,
      data: call.body,
      circuitBreaker: call.breaker,
      parse: call.parse,
      signal: attemptSignal,
      onSent: () => {
        sentAt = performance.now();
        sent?.();
      },
      headers: this.outgoingHeaders(span),
    };
    const started = performance.now();
    /** When the request was written, if the transport says (`onSent`). */
    let sentAt: number | undefined;
    const slotGrantedAt = this.clock.now();
    let outcome: UpstreamOutcome = 'success';
    let failure: unknown;
    try {
      const response = await this.http.axiosRef.request<T>(request);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
      return response.data;
    } catch (error) {
      failure = error;
      if (error instanceof UpstreamCircuitOpenError) {
        outcome = 'rejected';
        this.reportRefusal(call.operation, error);
        throw error;
      }
      if (!(error instanceof EventApiError) && isLostRace(signal?.reason)) {
        outcome = 'cancelled';
        throw error;
      }
      outcome = error instanceof EventApiError ? error.verdict.outcome : 'error';
      if (error instanceof UpstreamHttpError) {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, error.upstreamStatus);
      }
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
      throw error;
    } finally {
      releaseSlot?.(sampleOf(call.operation, this.clock.now() - slotGrantedAt, failure));
      if (outcome !== 'rejected') {
        const elapsedMs = performance.now() - started;
        span.setAttribute('event_api.outcome', outcome);
        span.end();
        if (outcome === 'success' || (outcome === 'cancelled' && role === 'first')) {
          // The hedge delay's percentile, from the moment its timer starts from.
          const outstandingMs = performance.now() - (sentAt ?? started);
          if (call.breaker === READ_BREAKER) this.latencyOf(call.operation).record(outstandingMs);
        }
        this.calls.emit({
          operation: call.operation,
          breaker: call.breaker,
          outcome,
          durationSeconds: elapsedMs / 1000,
        });
        if (role === 'hedge') {
          this.calls.extraAttempts.emit({
            operation: call.operation,
            kind: 'hedge',
            result: 'sent',
          });
        }
      }
    }
  }

  /**
   * The attempt's slot of the concurrency limit (none when the limit is off). A hedge never waits
   * for one. A refusal is reported (an event on the request's span, a call with outcome
   * `overloaded`) and thrown before anything else of the attempt exists.
   */
  private async takeSlot(
    call: UpstreamCall<unknown>,
    role: AttemptRole,
    signal: AbortSignal,
  ): Promise<ReleaseSlot | undefined> {
    if (!this.concurrencyLimit) return undefined;
    try {
      return await takeSlot(
        this.concurrencyLimit,
        role === 'hedge' ? 'immediate' : 'queue',
        signal,
      );
    } catch (error) {
      if (error instanceof UpstreamOverloadedError) {
        trace.getActiveSpan()?.addEvent('concurrency_limit.refused', {
          'concurrency_limit.reason': error.reason,
          'event_api.operation': call.operation,
        });
        this.calls.emit({
          operation: call.operation,
          breaker: call.breaker,
          outcome: 'overloaded',
          durationSeconds: 0,
        });
      }
      throw error;
    }
  }

  /** The span's trace context and the request's correlation id, for the upstream's logs. */
  private outgoingHeaders(span: Span): Record<string, string> {
    const headers: Record<string, string> = {};
    this.tracing.propagator.inject(
      trace.setSpan(context.active(), span),
      headers,
      defaultTextMapSetter,
    );
    const correlationId = requestContext.current()?.correlationId;
    if (correlationId) headers[CORRELATION_ID_HEADER] = correlationId;
    return headers;
  }

  /** A call a breaker refused: counted, and marked on the request's span. */
  private reportRefusal(
    operation: UpstreamCall<unknown>['operation'],
    refusal: UpstreamCircuitOpenError,
  ): void {
    trace.getActiveSpan()?.addEvent('circuit_breaker.rejected', {
      'circuit_breaker.name': refusal.breaker,
      'circuit_breaker.state': refusal.state,
      'event_api.operation': operation,
    });
    this.calls.emit({
      operation,
      breaker: refusal.breaker,
      outcome: 'rejected',
      durationSeconds: 0,
    });
  }
}

const GET = { method: 'GET', breaker: READ_BREAKER } as const;

/** A fixed upstream would answer an unknown id with 404 rather than an empty 200. */
async function orNullOn404<T>(read: Promise<T | null>): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof UpstreamHttpError && error.upstreamStatus === 404) return null;
    throw error;
  }
}
