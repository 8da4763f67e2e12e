import { Test, type TestingModule } from '@nestjs/testing';
import nock from 'nock';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { CircuitBreakerRegistry } from '../circuit-breaker';
import { CLOCK } from '../common';
import { ClockModule } from '../common/clock.module';
import { loadConfig } from '../common/config/gateway-config';
import { gatewayConfigModule } from '../common/config/gateway-config.module';
import { FakeClock } from '../testing/fake-clock';
import { guardUpstream, UPSTREAM, upstreamEvent, upstreamUser } from '../testing/nock-upstream';
import { SPAN_EXPORTER, TracingModule } from '../tracing/tracing.module';
import { UpstreamHttpError } from './event-api.errors';
import { EventGateway } from './event-gateway';
import { EventGatewayModule } from './event-gateway.module';
import { READ_BREAKER, WRITE_BREAKER } from './upstream-breakers';
import {
  UpstreamCallEvents,
  type ExtraAttemptEvent,
  type UpstreamCallEvent,
} from './upstream-call-events';

/** The hedge delay while no latency is known (the ceiling): short, so hedges come quickly. */
const CEILING_MS = 10;

/**
 * Stubs `times` GETs of `path` and holds each answer until the test releases it; `arrived(n)`
 * resolves once n requests have reached the upstream (an awaited event, not a sleep).
 */
function holdAnswers(path: string, times: number) {
  const answers: ((status: number, body?: unknown) => void)[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];
  nock(UPSTREAM)
    .get(path)
    .times(times)
    .reply((_uri, _body, callback) => {
      answers.push((status, body) => callback(null, [status, body as nock.ReplyBody]));
      for (const wait of waiting.filter((w) => answers.length >= w.count)) wait.resolve();
    });
  return {
    arrived: (count: number) =>
      new Promise<void>((resolve) => {
        if (answers.length >= count) resolve();
        else waiting.push({ count, resolve });
      }),
    answer: (index: number, status: number, body?: unknown) => answers[index](status, body),
    get count() {
      return answers.length;
    },
  };
}

describe('EventGateway: hedged reads and the retry budget', () => {
  const upstream = guardUpstream();
  let moduleRef: TestingModule;
  let gateway: EventGateway;
  let registry: CircuitBreakerRegistry;
  let clock: FakeClock;
  let spans: InMemorySpanExporter;
  let calls: UpstreamCallEvent[];
  let extras: ExtraAttemptEvent[];
  /** Resolves once `count` attempts have been reported (whatever their outcome). */
  let reported: (count: number) => Promise<void>;

  async function start(env: Record<string, string> = {}) {
    const config = loadConfig({
      EVENT_API_BASE_URL: UPSTREAM,
      UPSTREAM_RETRY_DELAY_MS: '0',
      UPSTREAM_HEDGE_MIN_DELAY_MS: '1',
      UPSTREAM_HEDGE_MAX_DELAY_MS: String(CEILING_MS),
      ...env,
    });
    clock = new FakeClock();
    spans = new InMemorySpanExporter();
    moduleRef = await Test.createTestingModule({
      imports: [gatewayConfigModule(config), ClockModule, TracingModule, EventGatewayModule],
    })
      .overrideProvider(CLOCK)
      .useValue(clock)
      .overrideProvider(SPAN_EXPORTER)
      .useValue(spans)
      .compile();
    gateway = moduleRef.get(EventGateway);
    registry = moduleRef.get(CircuitBreakerRegistry);
    calls = [];
    extras = [];
    const events = moduleRef.get(UpstreamCallEvents);
    const waiting: { count: number; resolve: () => void }[] = [];
    events.on((call) => {
      calls.push(call);
      for (const wait of waiting.filter((w) => calls.length >= w.count)) wait.resolve();
    });
    events.extraAttempts.on((extra) => extras.push(extra));
    reported = (count) =>
      new Promise((resolve) => {
        if (calls.length >= count) resolve();
        else waiting.push({ count, resolve });
      });
  }

  afterEach(async () => {
    upstream.assertNoUnmatchedRequests();
    await moduleRef?.close();
  });

  it('hedges a slow read: the hedge’s answer wins and the slow attempt is aborted', async () => {
    await start();
    const held = holdAnswers('/getEventById/7', 2);
    const read = gateway.getEventById('7');
    await held.arrived(2); // the first attempt, then the hedge after the delay
    held.answer(1, 200, upstreamEvent(7, 4, 'from the hedge'));
    await expect(read).resolves.toMatchObject({ id: '7', name: 'from the hedge' });
    // The first attempt ends while its answer is still held upstream: the gateway aborted its
    // request rather than waiting for it, and calls that neither a failure nor an error.
    await reported(2);
    expect(calls.map((call) => call.outcome)).toEqual(['success', 'cancelled']);
    expect(extras).toEqual([
      { operation: 'getEventById', kind: 'hedge', result: 'sent' },
      { operation: 'getEventById', kind: 'hedge', result: 'won' },
    ]);
    // Two CLIENT spans: the hedge marked as one; the loser cancelled, and no error.
    const attempts = spans.getFinishedSpans().map((span) => span.attributes);
    expect(attempts).toEqual([
      expect.objectContaining({ 'event_api.outcome': 'success', 'event_api.hedge': true }),
      expect.not.objectContaining({ 'event_api.hedge': true }),
    ]);
    expect(attempts[1]['event_api.outcome']).toBe('cancelled');
    expect(spans.getFinishedSpans()[1].status.code).not.toBe(SpanStatusCode.ERROR);
    held.answer(0, 200, upstreamEvent(7, 4, 'too late')); // answering the aborted one changes nothing
  });

  it('does not count the cancelled loser for the breaker: its permit is released', async () => {
    await start();
    const held = holdAnswers('/getUsers', 2);
    const read = gateway.getUsers();
    await held.arrived(2);
    held.answer(0, 200, [upstreamUser(1)]); // the first attempt wins this time
    await expect(read).resolves.toHaveLength(1);
    await reported(2); // the hedge, aborted
    expect(calls.map((call) => call.outcome)).toEqual(['success', 'cancelled']);
    const breaker = registry.get(READ_BREAKER).snapshot();
    expect(breaker.totals).toEqual({ successes: 1, failures: 0, rejections: 0 });
    expect(breaker.callsInWindow).toBe(1);
    expect(extras).toEqual([{ operation: 'getUsers', kind: 'hedge', result: 'sent' }]);
  });

  it('waits for the hedge when the slow first attempt fails, and answers with it', async () => {
    await start();
    const held = holdAnswers('/getUserById/3', 2);
    const read = gateway.getUserById('3');
    await held.arrived(2);
    held.answer(0, 503);
    held.answer(1, 200, upstreamUser(3));
    await expect(read).resolves.toMatchObject({ id: '3' });
    expect(calls.map((call) => call.outcome).sort()).toEqual(['http_5xx', 'success']);
  });

  it('throws the first attempt’s error when both fail, and does not retry after a hedge', async () => {
    await start();
    const held = holdAnswers('/getEvents', 2);
    const read = gateway.getEvents();
    await held.arrived(2);
    held.answer(1, 500);
    held.answer(0, 503);
    await expect(read).rejects.toEqual(new UpstreamHttpError(503));
    expect(held.count).toBe(2); // no third attempt: the hedge was the read's extra attempt
  });

  it('never hedges a write, however slow', async () => {
    await start();
    const posts: (() => void)[] = [];
    nock(UPSTREAM)
      .post('/addEvent')
      .reply((_uri, _body, callback) => {
        posts.push(() => callback(null, [200, { success: true }]));
      });
    const created = gateway.addEvent({ id: 'e-1', name: 'x', userId: '1' });
    // A read started after the write, with the same hedge delay, is hedged: the delay has passed
    // for the write too.
    const read = holdAnswers('/getUsers', 2);
    const users = gateway.getUsers();
    await read.arrived(2);
    read.answer(1, 200, []);
    await users;
    expect(posts).toHaveLength(1);
    posts[0]();
    await expect(created).resolves.toBeUndefined();
    expect(calls.filter((call) => call.operation === 'addEvent')).toHaveLength(1);
    expect(extras.filter((extra) => extra.operation === 'addEvent')).toEqual([]);
    expect(registry.get(WRITE_BREAKER).snapshot().totals.successes).toBe(1);
  });

  it('sends no hedge with UPSTREAM_HEDGE_READS=false', async () => {
    await start({ UPSTREAM_HEDGE_READS: 'false' });
    const held = holdAnswers('/getUsers', 2);
    const read = gateway.getUsers();
    await held.arrived(1);
    // Proving an absence takes a wait: ten times the delay a hedge would have waited.
    await new Promise((resolve) => setTimeout(resolve, CEILING_MS * 10));
    expect(held.count).toBe(1);
    held.answer(0, 200, []);
    await expect(read).resolves.toEqual([]);
    expect(extras).toEqual([]);
    nock.cleanAll();
  });

  it('spends one budget on retries and hedges, refuses both once it is spent, and refills', async () => {
    // A floor of 0.1 a second over 10 s: one extra attempt per window, and no share of firsts.
    // A longer hedge delay, so that a quick answer on a busy machine is never hedged.
    await start({
      UPSTREAM_HEDGE_MAX_DELAY_MS: '300',
      UPSTREAM_RETRY_BUDGET_RATIO: '0',
      UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND: '0.1',
      UPSTREAM_RETRY_BUDGET_WINDOW_MS: '10000',
    });
    // The one extra attempt: a retry after a 503.
    nock(UPSTREAM).get('/getUsers').reply(503).get('/getUsers').reply(200, []);
    await expect(gateway.getUsers()).resolves.toEqual([]);

    // A slow read: no hedge (refused), the first attempt's answer is waited for.
    const slow = holdAnswers('/getEvents', 2);
    const events = gateway.getEvents();
    await slow.arrived(1);
    await new Promise<void>((resolve) => {
      const check = () =>
        extras.some((extra) => extra.kind === 'hedge') ? resolve() : setImmediate(check);
      check();
    });
    expect(slow.count).toBe(1);
    slow.answer(0, 200, []);
    await expect(events).resolves.toEqual([]);

    // A failed read: no retry (refused), the first error is thrown.
    nock(UPSTREAM).get('/getUsers').reply(503);
    await expect(gateway.getUsers()).rejects.toEqual(new UpstreamHttpError(503));
    expect(extras).toEqual([
      { operation: 'getEvents', kind: 'hedge', result: 'refused' },
      { operation: 'getUsers', kind: 'retry', result: 'refused' },
    ]);

    // Once the spent attempt has left the window, a retry is allowed again.
    clock.advance(10_000);
    nock(UPSTREAM).get('/getUsers').reply(503).get('/getUsers').reply(200, []);
    await expect(gateway.getUsers()).resolves.toEqual([]);
    nock.cleanAll();
  });

  it('times the hedge from the operation’s recent percentile once enough answers are known', async () => {
    await start({ UPSTREAM_HEDGE_MAX_DELAY_MS: '60000', UPSTREAM_TIMEOUT_MS: '120000' });
    // 20 quick answers make the p95 known: a few milliseconds, far below the 60 s ceiling.
    nock(UPSTREAM).get('/getUsers').times(20).reply(200, []);
    for (let i = 0; i < 20; i += 1) await gateway.getUsers();
    // With a 60 s ceiling, only a delay taken from those answers hedges this read in time.
    const held = holdAnswers('/getUsers', 2);
    const read = gateway.getUsers();
    await held.arrived(2);
    held.answer(1, 200, []);
    await expect(read).resolves.toEqual([]);
    // getEvents has no samples: its delay is still the 60 s ceiling.
    const other = holdAnswers('/getEvents', 1);
    const events = gateway.getEvents();
    await other.arrived(1);
    other.answer(0, 200, []);
    await events;
    expect(extras.filter((extra) => extra.result === 'sent')).toHaveLength(1);
  });
});
