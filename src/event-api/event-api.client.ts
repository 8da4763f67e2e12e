import { HttpService } from '@nestjs/axios';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CircuitBreakerRegistry } from '../circuit-breaker';
import { CORRELATION_ID_HEADER } from '../common/correlation-id';
import { requestContext } from '../common/request-context';
import type { GatewayConfig } from '../config/gateway-config';
import { attachCircuitBreaker, type GuardedRequestConfig } from './axios-circuit-breaker';
import { READ_BREAKER, WRITE_BREAKER } from './circuit-breakers';
import {
  breakerVerdict,
  EventApiError,
  toEventApiError,
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
import { UpstreamCallEvents } from './upstream-call-events';
import { InFlightCalls, retryOnce, type UpstreamCall } from './upstream-call';

/**
 * The client of the upstream Event API: the only code that knows its URLs and shapes. Every call
 * goes through the `HttpService` whose axios interceptors apply the circuit breakers; methods
 * return domain types or throw `EventApiError`s, never HTTP responses.
 */
@Injectable()
export class EventApiClient implements OnApplicationShutdown {
  private readonly settings: GatewayConfig['upstream'];
  private readonly detachBreakers: () => void;
  private readonly inFlightReads = new InFlightCalls();

  constructor(
    private readonly http: HttpService,
    private readonly registry: CircuitBreakerRegistry,
    private readonly calls: UpstreamCallEvents,
    config: ConfigService<GatewayConfig, true>,
  ) {
    this.settings = config.get('upstream', { infer: true });
    this.detachBreakers = attachCircuitBreaker(http.axiosRef, {
      registry,
      translateError: (error) => toEventApiError(error, this.settings.timeoutMs),
      classifyError: breakerVerdict,
    });
  }

  /** After the server has closed: requests still draining before that keep their breakers. */
  onApplicationShutdown(): void {
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
    await this.call({
      operation: 'addEvent',
      breaker: WRITE_BREAKER,
      method: 'POST',
      path: '/addEvent',
      body: event,
      parse: parseWriteAcknowledgement,
    });
  }

  /**
   * The 503 a create would get if the write breaker refuses it now (counted as a refusal), or
   * `undefined` when it would be admitted. For refusing before any upstream work, such as looking
   * the event's user up, is spent on a write that cannot be made.
   */
  writeRefusal(): UpstreamCircuitOpenError | undefined {
    const rejection = this.registry.get(WRITE_BREAKER).preflight();
    if (!rejection) return undefined;
    this.calls.emit({
      operation: 'addEvent',
      breaker: WRITE_BREAKER,
      outcome: 'rejected',
      durationSeconds: 0,
    });
    return UpstreamCircuitOpenError.of(WRITE_BREAKER, rejection.state, rejection.retryAfterMs);
  }

  /** Throws `writeRefusal()`'s 503 if there is one. */
  assertWritable(): void {
    const refusal = this.writeRefusal();
    if (refusal) throw refusal;
  }

  /**
   * A read: retried once when its failure is retryable, and shared with identical reads already in
   * flight from any request. A shared call carries the correlation id of the request that started
   * it (the others' ids are not sent upstream); it counts once for the breaker and the metrics.
   */
  private read<T>(call: UpstreamCall<T>, key = call.path): Promise<T> {
    const attempt = () => retryOnce(() => this.call(call), this.settings.retryDelayMs);
    return this.settings.coalesceReads ? this.inFlightReads.share(key, attempt) : attempt();
  }

  /** One attempt of one call, under one deadline, reported to the call observers. */
  private async call<T>(call: UpstreamCall<T>): Promise<T> {
    const correlationId = requestContext.current()?.correlationId;
    const config: GuardedRequestConfig<T> = {
      method: call.method,
      url: call.path,
      data: call.body,
      circuitBreaker: call.breaker,
      parseBody: call.parse,
      signal: AbortSignal.timeout(this.settings.timeoutMs),
      ...(correlationId ? { headers: { [CORRELATION_ID_HEADER]: correlationId } } : {}),
    };
    const started = performance.now();
    try {
      const response = await this.http.axiosRef.request<T>(config);
      this.report(call, 'success', started);
      return response.data;
    } catch (error) {
      this.report(call, error instanceof EventApiError ? error.verdict.outcome : 'error', started);
      throw error;
    }
  }

  private report(call: UpstreamCall<unknown>, outcome: UpstreamOutcome, started: number): void {
    this.calls.emit({
      operation: call.operation,
      breaker: call.breaker,
      outcome,
      durationSeconds: outcome === 'rejected' ? 0 : (performance.now() - started) / 1000,
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
