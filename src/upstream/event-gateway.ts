import { HttpService } from '@nestjs/axios';
import type { AxiosResponse } from 'axios' with { 'resolution-mode': 'import' };
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClsService } from 'nestjs-cls';
import { performance } from 'node:perf_hooks';
import { firstValueFrom, type Observable } from 'rxjs';
import { CORRELATION_ID_HEADER } from '../common/correlation-id';
import { isValidId } from '../common/ids';
import { mapWithConcurrency } from '../common/map-with-concurrency';
import { upstreamConfig } from '../config/configuration';
import { UpstreamMetrics } from '../metrics/upstream-metrics';
import {
  attachCircuitBreaker,
  type GuardedRequestConfig,
} from './circuit-breaker/axios-circuit-breaker';
import { CircuitBreakerRegistry } from './circuit-breaker/circuit-breaker.registry';
import { READ_BREAKER, WRITE_BREAKER } from './circuit-breaker-names';
import type { Event, NewEvent, User } from './event-api.models';
import {
  isAbsentBody,
  parseEvent,
  parseList,
  parseUser,
  parseWriteAcknowledgement,
} from './event-api.parsers';
import { classifyUpstreamError, toUpstreamError } from './upstream-error.translation';
import { UpstreamError, UpstreamHttpError } from './upstream.errors';

/**
 * The only code that knows the upstream Event API's URLs and shapes. Every call goes through the
 * `HttpService` whose axios interceptors apply the circuit breakers; methods return domain types or
 * throw typed upstream errors (or `CircuitOpenError`), never axios responses.
 */
@Injectable()
export class EventGateway implements OnApplicationShutdown {
  private readonly detachBreaker: () => void;
  private readonly inFlightReads = new Map<string, Promise<unknown>>();

  constructor(
    private readonly http: HttpService,
    registry: CircuitBreakerRegistry,
    @Inject(upstreamConfig.KEY) private readonly config: ConfigType<typeof upstreamConfig>,
    private readonly metrics: UpstreamMetrics,
    private readonly cls: ClsService,
  ) {
    this.detachBreaker = attachCircuitBreaker(http.axiosRef, {
      registry,
      translateError: (error) => toUpstreamError(error, config.timeoutMs),
      classifyError: classifyUpstreamError,
    });
  }

  /** After the server has closed: requests still draining before that keep their breaker. */
  onApplicationShutdown(): void {
    this.detachBreaker();
  }

  getUsers(): Promise<User[]> {
    return this.read('getUsers', '/getUsers', (data) =>
      parseList(data, 'user list', (item) => parseUser(item)),
    );
  }

  /** The user, or `null` when the upstream says there is none (an empty 200 or a 404). */
  async getUserById(id: string): Promise<User | null> {
    return this.readOptional('getUserById', `/getUserById/${segment(id)}`, (data) =>
      parseUser(data, id),
    );
  }

  getEvents(): Promise<Event[]> {
    return this.read('getEvents', '/getEvents', (data) =>
      parseList(data, 'event list', (item) => parseEvent(item)),
    );
  }

  /** The event, or `null` when the upstream has none. Takes about 500 ms upstream. */
  async getEventById(id: string, ownerId?: string): Promise<Event | null> {
    return this.readOptional(
      'getEventById',
      `/getEventById/${segment(id)}`,
      (data) => parseEvent(data, id, ownerId),
      ownerId,
    );
  }

  /**
   * Fetches each distinct id once, at most `UPSTREAM_MAX_CONCURRENCY` at a time. The map keeps
   * the ids' first-seen order; `null` marks an id the upstream does not know. The first failure
   * fails the whole call.
   */
  async getEventsByIds(
    ids: readonly string[],
    ownerId?: string,
  ): Promise<Map<string, Event | null>> {
    const distinct = [...new Set(ids)];
    const events = await mapWithConcurrency(distinct, this.config.maxConcurrency, (id) =>
      this.getEventById(id, ownerId),
    );
    return new Map(distinct.map((id, index) => [id, events[index]]));
  }

  /** Builds the event's id (a UUID), sends it upstream, and returns what was stored. Never retried. */
  async addEvent(event: Omit<NewEvent, 'id'>): Promise<Event> {
    const created: NewEvent = { id: randomUUID(), ...event };
    await this.send('addEvent', WRITE_BREAKER, parseWriteAcknowledgement, (config) =>
      this.http.post('/addEvent', created, config),
    );
    return created;
  }

  private async readOptional<T>(
    operation: string,
    path: string,
    parse: (data: unknown) => T,
    variant = '',
  ): Promise<T | null> {
    try {
      return await this.read(
        operation,
        path,
        (data) => (isAbsentBody(data) ? null : parse(data)),
        variant,
      );
    } catch (error) {
      if (error instanceof UpstreamHttpError && error.upstreamStatus === 404) return null;
      throw error;
    }
  }

  /** A GET through the read breaker, retried once after a short jittered pause when retryable. */
  /**
   * A GET through the read breaker. Identical reads already in flight (from any request) share one
   * upstream call instead of starting another: a popular user's 50 events cost the upstream 50
   * calls however many clients ask at once. `variant` separates reads whose parsing differs.
   */
  private read<T>(
    operation: string,
    path: string,
    parse: (data: unknown) => T,
    variant = '',
  ): Promise<T> {
    if (!this.config.coalesceReads) return this.readWithRetry(operation, path, parse);
    const key = `${path}#${variant}`;
    const inFlight = this.inFlightReads.get(key);
    if (inFlight) return inFlight as Promise<T>;
    const read = this.readWithRetry(operation, path, parse).finally(() =>
      this.inFlightReads.delete(key),
    );
    this.inFlightReads.set(key, read);
    return read;
  }

  /** One read, retried once after a short jittered pause when the failure is retryable. */
  private async readWithRetry<T>(
    operation: string,
    path: string,
    parse: (data: unknown) => T,
  ): Promise<T> {
    const attempt = () =>
      this.send(operation, READ_BREAKER, parse, (config) => this.http.get<T>(path, config));
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof UpstreamError) || !error.retryable) throw error;
      const delayMs = this.config.retryDelayMs * (0.5 + Math.random() / 2);
      await sleep(delayMs);
      return attempt();
    }
  }

  /** One upstream call attempt: guarded by `breaker`, timed and counted under `operation`. */
  private async send<T>(
    operation: string,
    breaker: string,
    parse: (data: unknown) => unknown,
    request: (config: GuardedRequestConfig) => Observable<AxiosResponse<T>>,
  ): Promise<T> {
    const correlationId = this.cls.isActive() ? this.cls.getId() : undefined;
    const config: GuardedRequestConfig = {
      circuitBreaker: breaker,
      parseResponse: parse,
      // A deadline for the whole exchange; axios's own `timeout` only watches an idle socket.
      signal: AbortSignal.timeout(this.config.timeoutMs),
      ...(correlationId ? { headers: { [CORRELATION_ID_HEADER]: correlationId } } : {}),
    };
    const started = performance.now();
    try {
      const response = await firstValueFrom(request(config));
      this.metrics.recordCall(operation, undefined, (performance.now() - started) / 1000);
      return response.data;
    } catch (error) {
      this.metrics.recordCall(operation, error, (performance.now() - started) / 1000);
      throw error;
    }
  }
}

/** Path segments are checked and encoded: nothing unvalidated reaches the upstream's URL. */
function segment(id: string): string {
  if (!isValidId(id)) throw new RangeError(`Refusing to put an invalid id in an upstream URL`);
  return encodeURIComponent(id);
}
