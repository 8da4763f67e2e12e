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
import { backoffMs, CLOCK, type Clock } from '../common';
import { CORRELATION_ID_HEADER } from '../common/correlation-id';
import { requestContext } from '../common/request-context';
import type { GatewayConfig } from '../common/config/gateway-config';
import { Tracing } from '../tracing/tracing.service';
import { useCircuitBreaker, type BreakerRequestConfig } from './circuit-breaker.interceptors';
import { useConcurrencyLimit } from './concurrency-limit.interceptors';
import type { AdaptiveConcurrencyLimit } from '../load-control/adaptive-concurrency-limit';
import { UPSTREAM_CONCURRENCY_LIMIT } from './upstream-concurrency-limit';
import {
  EventApiError,
  UpstreamCircuitOpenError,
  UpstreamHttpError,
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
 * Runs `attempt`, and once more after a jittered pause (50–100% of `delayMs`) if it failed in a way
 * whose verdict says a retry may help. For idempotent reads only.
 */
export async function retryOnce<T>(attempt: () => Promise<T>, delayMs: number): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof EventApiError) || !error.verdict.retryable) throw error;
    await sleep(backoffMs(0, { baseMs: delayMs, maxMs: delayMs, jitterRatio: 0.5 }));
    return attempt();
  }
}

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
  private readonly detachConcurrencyLimit: () => void;
  /** Reads in flight, each with the span context of the request that started it. */
  private readonly inFlightReads = new InFlightCalls<SpanContext | undefined>();

  constructor(
    private readonly http: HttpService,
    private readonly registry: CircuitBreakerRegistry,
    private readonly calls: UpstreamCallEvents,
    private readonly tracing: Tracing,
    config: ConfigService<GatewayConfig, true>,
    @Inject(UPSTREAM_CONCURRENCY_LIMIT) concurrencyLimit: AdaptiveConcurrencyLimit | null,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.settings = config.get('upstream', { infer: true });
    this.upstreamHost = new URL(this.settings.baseUrl).hostname;
    this.detachBreakers = useCircuitBreaker(http.axiosRef, registry, this.settings.timeoutMs);
    // After the breaker's: its request interceptor runs first, so the slot comes before the permit.
    this.detachConcurrencyLimit = concurrencyLimit
      ? useConcurrencyLimit(http.axiosRef, concurrencyLimit, clock)
      : () => undefined;
  }

  /** After the server has closed: requests still draining before that keep their breakers. */
  onApplicationShutdown(): void {
    this.detachConcurrencyLimit();
    this.detachBreakers();
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
   * A read: retried once when its failure is retryable, and shared with identical reads already in
   * flight from any request. A shared call is made (and traced) under the request that started it:
   * only its correlation id and trace context are sent upstream, and it counts once for the
   * breaker and the metrics; a request that joins it gets a span link to the request that started
   * it, so its trace still leads to the upstream call it waited for.
   */
  private read<T>(call: UpstreamCall<T>, key = call.path): Promise<T> {
    const attempt = () => retryOnce(() => this.attempt(call), this.settings.retryDelayMs);
    if (!this.settings.coalesceReads) return attempt();
    const active = trace.getActiveSpan();
    return this.inFlightReads.share(key, attempt, active?.spanContext(), (origin) => {
      if (origin) active?.addLink({ context: origin, attributes: { 'event_api.coalesced': true } });
    });
  }

  /**
   * One attempt of one call, under one deadline. In order: the breaker's request interceptor admits
   * it (or refuses it before any socket opens); a CLIENT span (a retry is a second one) whose
   * context goes upstream in `traceparent`; the request; the breaker's response interceptor parses
   * the body and settles the permit; the attempt is reported to the call observers. A refused
   * attempt is no CLIENT span (its span is dropped unended, so never exported) but an event on the
   * request's span.
   */
  private async attempt<T>(call: UpstreamCall<T>): Promise<T> {
    const span = this.tracing.tracer.startSpan(`event-api ${call.operation}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: call.method,
        [ATTR_URL_FULL]: `${this.settings.baseUrl}${call.path}`,
        [ATTR_SERVER_ADDRESS]: this.upstreamHost,
        'event_api.operation': call.operation,
        'circuit_breaker.name': call.breaker,
      },
    });
    const request: BreakerRequestConfig<T> = {
      method: call.method,
      url: call.path,
      data: call.body,
      circuitBreaker: call.breaker,
      parse: call.parse,
      signal: AbortSignal.timeout(this.settings.timeoutMs),
      headers: this.outgoingHeaders(span),
    };
    const started = performance.now();
    let outcome: UpstreamOutcome = 'success';
    try {
      const response = await this.http.axiosRef.request<T>(request);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
      return response.data;
    } catch (error) {
      if (error instanceof UpstreamCircuitOpenError) {
        outcome = 'rejected';
        this.reportRefusal(call.operation, error);
        throw error;
      }
      outcome = error instanceof EventApiError ? error.verdict.outcome : 'error';
      if (error instanceof UpstreamHttpError) {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, error.upstreamStatus);
      }
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
      throw error;
    } finally {
      if (outcome !== 'rejected') {
        span.setAttribute('event_api.outcome', outcome);
        span.end();
        this.calls.emit({
          operation: call.operation,
          breaker: call.breaker,
          outcome,
          durationSeconds: (performance.now() - started) / 1000,
        });
      }
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
