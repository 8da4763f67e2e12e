import { Test, type TestingModule } from '@nestjs/testing';
import nock from 'nock';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { CircuitBreakerRegistry } from '../circuit-breaker';
import { CLOCK } from '../common';
import { ClockModule } from '../common/clock.module';
import { loadConfig } from '../common/config/gateway-config';
import { requestContext } from '../common/request-context';
import { gatewayConfigModule } from '../common/config/gateway-config.module';
import {
  AdaptiveConcurrencyLimit,
  type ConcurrencySample,
} from '../load-control/adaptive-concurrency-limit';
import { FakeClock } from '../testing/fake-clock';
import { FakeTimers } from '../testing/fake-timers';
import { guardUpstream, UPSTREAM, upstreamEvent } from '../testing/nock-upstream';
import { SPAN_EXPORTER, TracingModule } from '../tracing/tracing.module';
import { Tracing } from '../tracing/tracing.service';
import {
  UpstreamCircuitOpenError,
  UpstreamMalformedResponseError,
  UpstreamOverloadedError,
} from './event-api.errors';
import { EventGateway } from './event-gateway';
import { EventGatewayModule } from './event-gateway.module';
import { READ_BREAKER } from './upstream-breakers';
import { UpstreamCallEvents, type UpstreamCallEvent } from './upstream-call-events';
import { UPSTREAM_CONCURRENCY_LIMIT } from './upstream-concurrency-limit';

/**
 * GETs of `path` whose answers wait until the test lets them go, oldest first; `arrived(n)`
 * resolves once n requests have reached the upstream (an awaited event, not a sleep).
 */
function holdAnswers(path: string | RegExp, times: number) {
  const answers: ((status: number) => void)[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];
  let arrived = 0;
  nock(UPSTREAM)
    .get(path)
    .times(times)
    .reply((uri, _body, callback) => {
      const id = uri.split('/').pop() as string;
      answers.push((status) =>
        callback(null, [status, status === 200 ? upstreamEvent(id, 1) : '']),
      );
      arrived += 1;
      for (const wait of waiting.filter((w) => arrived >= w.count)) wait.resolve();
    });
  return {
    arrived: (count: number) =>
      new Promise<void>((resolve) => {
        if (arrived >= count) resolve();
        else waiting.push({ count, resolve });
      }),
    /** Answers the oldest request not yet answered. */
    answer: (status = 200) => answers.shift()?.(status),
    get count() {
      return arrived;
    },
  };
}

/** Lets pending promise jobs and I/O callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('EventGateway: the concurrency limit, taken before the HTTP client', () => {
  const upstream = guardUpstream();
  let moduleRef: TestingModule;
  let gateway: EventGateway;
  let limit: AdaptiveConcurrencyLimit;
  let clock: FakeClock;
  let timers: FakeTimers;
  let spans: InMemorySpanExporter;
  let calls: UpstreamCallEvent[];
  /** Every sample the limit is taught, in order (undefined: a slot freed without one). */
  let samples: (ConcurrencySample | undefined)[];

  async function start({ initialLimit = 2, queueSize = 1, env = {} as Record<string, string> }) {
    clock = new FakeClock();
    timers = new FakeTimers(clock);
    limit = new AdaptiveConcurrencyLimit({
      initialLimit,
      minLimit: 1,
      maxLimit: 10,
      queueSize,
      queueTimeoutMs: 250,
      clock,
      timers: timers.start,
    });
    samples = [];
    const acquire = limit.acquire.bind(limit);
    jest.spyOn(limit, 'acquire').mockImplementation(async (options) => {
      const release = await acquire(options);
      return (sample) => {
        samples.push(sample);
        release(sample);
      };
    });
    spans = new InMemorySpanExporter();
    const config = loadConfig({
      EVENT_API_BASE_URL: UPSTREAM,
      UPSTREAM_HEDGE_READS: 'false',
      UPSTREAM_COALESCE_READS: 'false',
      // No retries: each read is one attempt, so each answer is one sample.
      UPSTREAM_RETRY_BUDGET_RATIO: '0',
      UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND: '0',
      ...env,
    });
    moduleRef = await Test.createTestingModule({
      imports: [gatewayConfigModule(config), ClockModule, TracingModule, EventGatewayModule],
    })
      .overrideProvider(CLOCK)
      .useValue(clock)
      .overrideProvider(SPAN_EXPORTER)
      .useValue(spans)
      .overrideProvider(UPSTREAM_CONCURRENCY_LIMIT)
      .useValue(limit)
      .compile();
    gateway = moduleRef.get(EventGateway);
    calls = [];
    moduleRef.get(UpstreamCallEvents).on((call) => calls.push(call));
  }

  afterEach(async () => {
    upstream.assertNoUnmatchedRequests();
    await moduleRef?.close();
  });

  it('queues a read past the limit, sends it when a slot frees, and refuses past the queue with a 503 that made no call', async () => {
    await start({});
    const held = holdAnswers(/^\/getEventById\/\d$/, 3);
    const reads = ['1', '2', '3'].map((id) => gateway.getEventById(id));
    await held.arrived(2);
    expect(limit.snapshot()).toEqual({ limit: 2, inFlight: 2, queued: 1 });

    const refused: unknown = await gateway.getEventById('4').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UpstreamOverloadedError);
    expect((refused as UpstreamOverloadedError).reason).toBe('queue_full');
    expect((refused as UpstreamOverloadedError).toProblem()).toMatchObject({
      status: 503,
      code: 'UPSTREAM_OVERLOADED',
      headers: { 'retry-after': '1' },
    });
    expect(calls).toEqual([
      {
        operation: 'getEventById',
        breaker: READ_BREAKER,
        outcome: 'overloaded',
        durationSeconds: 0,
      },
    ]);

    held.answer();
    await held.arrived(3); // the queued one goes as soon as a slot is free
    held.answer();
    held.answer();
    await expect(Promise.all(reads)).resolves.toHaveLength(3);
    expect(limit.snapshot()).toMatchObject({ inFlight: 0, queued: 0 });
    // The refusal took no breaker permit and is no upstream span: three calls, three spans.
    const breaker = moduleRef.get(CircuitBreakerRegistry).get(READ_BREAKER);
    expect(breaker.snapshot().totals).toEqual({ successes: 3, failures: 0, rejections: 0 });
    expect(spans.getFinishedSpans().map((span) => span.name)).toEqual(
      Array(3).fill('event-api getEventById'),
    );
  });

  it("marks a refusal on the request's span, as an event", async () => {
    await start({ queueSize: 0 });
    const held = holdAnswers(/^\/getEventById\/\d$/, 2);
    const reads = [gateway.getEventById('1'), gateway.getEventById('2')];
    await held.arrived(2);
    const tracer = moduleRef.get(Tracing).tracer;
    const requestSpan = tracer.startSpan('GET /v1/events/:id');
    await requestContext.run(
      { correlationId: 'c-1' },
      () => expect(gateway.getEventById('3')).rejects.toBeInstanceOf(UpstreamOverloadedError),
      trace.setSpan(context.active(), requestSpan),
    );
    requestSpan.end();
    const finished = spans.getFinishedSpans().find((span) => span.name === 'GET /v1/events/:id');
    expect(finished?.events.map((event) => [event.name, event.attributes])).toEqual([
      [
        'concurrency_limit.refused',
        { 'concurrency_limit.reason': 'queue_full', 'event_api.operation': 'getEventById' },
      ],
    ]);
    held.answer();
    held.answer();
    await Promise.all(reads);
  });

  it('refuses a queued read whose wait passes the queue timeout, without calling the upstream', async () => {
    await start({});
    const held = holdAnswers(/^\/getEventById\/\d$/, 2);
    const reads = [gateway.getEventById('1'), gateway.getEventById('2')];
    await held.arrived(2);
    const queued = gateway.getEventById('3').catch((error: unknown) => error);
    while (limit.snapshot().queued === 0) await settle();
    timers.advance(250);
    expect(await queued).toBeInstanceOf(UpstreamOverloadedError);
    expect(await queued).toMatchObject({ reason: 'queue_timeout' });
    expect(limit.snapshot().queued).toBe(0);
    held.answer();
    held.answer();
    await Promise.all(reads);
    expect(held.count).toBe(2);
  });

  it('answers the deadline passing while a read waits as an overload refusal (the upstream never saw it)', async () => {
    await start({ initialLimit: 1, queueSize: 1, env: { UPSTREAM_TIMEOUT_MS: '60' } });
    const slot = limit.tryAcquire(); // the only slot, held by the test
    // The queue timeout (fake, 250 ms) never passes: the attempt's real 60 ms deadline does.
    await expect(gateway.getEventById('2')).rejects.toMatchObject({
      name: 'UpstreamOverloadedError',
      reason: 'queue_timeout',
    });
    expect(limit.snapshot()).toEqual({ limit: 1, inFlight: 1, queued: 0 });
    slot?.();
  });

  it('frees the slot when the breaker refuses after it, teaching the limit nothing', async () => {
    await start({});
    moduleRef.get(CircuitBreakerRegistry).get(READ_BREAKER).forceOpen();
    await expect(gateway.getEventById('1')).rejects.toBeInstanceOf(UpstreamCircuitOpenError);
    expect(limit.snapshot()).toEqual({ limit: 2, inFlight: 0, queued: 0 });
    expect(samples).toEqual([undefined]);
  });

  it('teaches the limit each answer: latency from when its slot was granted, per operation, and drops', async () => {
    await start({ initialLimit: 1 });
    const held = holdAnswers(/^\/getEventById\/\d$/, 2);
    const first = gateway.getEventById('1');
    await held.arrived(1);
    const queued = gateway.getEventById('2').catch((error: unknown) => error);
    while (limit.snapshot().queued === 0) await settle();
    clock.advance(200); // the queued read waits 200 ms...
    held.answer();
    await first;
    await held.arrived(2);
    clock.advance(30); // ...and is answered 30 ms after its slot was granted
    held.answer(503);
    await queued;
    expect(samples).toEqual([
      { operation: 'getEventById', latencyMs: 200, dropped: false },
      { operation: 'getEventById', latencyMs: 30, dropped: true },
    ]);
  });

  it.each([
    [429, true],
    [404, false],
    [500, true],
  ])('counts an answer with status %i as a drop: %s', async (status, dropped) => {
    await start({});
    nock(UPSTREAM).get('/getUsers').reply(status);
    await gateway.getUsers().catch(() => undefined);
    expect(samples[0]).toEqual({ operation: 'getUsers', latencyMs: 0, dropped });
  });

  it('frees the slot of a malformed answer: an answer, not a drop', async () => {
    await start({});
    nock(UPSTREAM).get('/getUsers').reply(200, { not: 'a list' });
    await expect(gateway.getUsers()).rejects.toBeInstanceOf(UpstreamMalformedResponseError);
    expect(limit.snapshot()).toEqual({ limit: 2, inFlight: 0, queued: 0 });
    expect(samples).toEqual([{ operation: 'getUsers', latencyMs: 0, dropped: false }]);
  });

  it('frees the slot when the attempt fails before its request is made', async () => {
    await start({});
    jest.spyOn(moduleRef.get(Tracing).tracer, 'startSpan').mockImplementationOnce(() => {
      throw new Error('no span today');
    });
    await expect(gateway.getUsers()).rejects.toThrow('no span today');
    expect(limit.snapshot()).toEqual({ limit: 2, inFlight: 0, queued: 0 });
    expect(samples).toEqual([undefined]);
  });
});
