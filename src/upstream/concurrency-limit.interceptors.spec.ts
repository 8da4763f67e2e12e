import axios from 'axios';
import nock from 'nock';
import { CircuitBreaker, CircuitBreakerRegistry, CountInWindowPolicy } from '../circuit-breaker';
import {
  AdaptiveConcurrencyLimit,
  type ConcurrencySample,
} from '../load-control/adaptive-concurrency-limit';
import { FakeClock } from '../testing/fake-clock';
import { FakeTimers } from '../testing/fake-timers';
import { guardUpstream } from '../testing/nock-upstream';
import { useCircuitBreaker, type BreakerRequestConfig } from './circuit-breaker.interceptors';
import {
  useConcurrencyLimit,
  type ConcurrencyRequestConfig,
} from './concurrency-limit.interceptors';
import {
  UpstreamCircuitOpenError,
  UpstreamMalformedResponseError,
  UpstreamOverloadedError,
} from './event-api.errors';

const BASE = 'http://upstream.test';
const identity = (data: unknown) => data;

function setup({ initialLimit = 2, queueSize = 1 } = {}) {
  const clock = new FakeClock();
  const timers = new FakeTimers(clock);
  const registry = new CircuitBreakerRegistry();
  const breaker = registry.register(
    new CircuitBreaker({
      name: 'b',
      policy: new CountInWindowPolicy(100, 30_000),
      backoff: { baseMs: 10_000, maxMs: 60_000, jitterRatio: 0 },
      probeTimeoutMs: 5_000,
      clock,
    }),
  );
  const limit = new AdaptiveConcurrencyLimit({
    initialLimit,
    minLimit: 1,
    maxLimit: 10,
    queueSize,
    queueTimeoutMs: 250,
    clock,
    timers: timers.start,
  });
  // Every sample the limit is taught, in order.
  const samples: (ConcurrencySample | undefined)[] = [];
  const acquire = limit.acquire.bind(limit);
  jest.spyOn(limit, 'acquire').mockImplementation(async (options) => {
    const release = await acquire(options);
    return (sample) => {
      samples.push(sample);
      release(sample);
    };
  });
  const client = axios.create({ baseURL: BASE }) as unknown as Parameters<
    typeof useCircuitBreaker
  >[0];
  // As EventGateway does: the breaker first, the limit after (so its request interceptor runs first).
  const detachBreaker = useCircuitBreaker(client, registry, 3000);
  const detachLimit = useConcurrencyLimit(client, limit, clock);
  const get = (
    path: string,
    extra: Partial<BreakerRequestConfig & ConcurrencyRequestConfig> = {},
  ) => client.get(path, { circuitBreaker: 'b', parse: identity, ...extra });
  return { clock, timers, breaker, limit, samples, client, get, detachBreaker, detachLimit };
}

/**
 * An upstream path whose answers wait until the test lets them go: `arrived` counts the requests
 * that reached it, `answer()` answers the oldest one with a status.
 */
function heldUpstream(path: string | RegExp, times: number) {
  const waiting: ((status: number) => void)[] = [];
  let arrived = 0;
  nock(BASE)
    .get(path)
    .times(times)
    .reply((_uri, _body, callback: (error: null, result: nock.ReplyFnResult) => void) => {
      arrived += 1;
      waiting.push((status) => callback(null, [status, { ok: true }]));
    });
  return {
    get arrived() {
      return arrived;
    },
    answer(status = 200) {
      const next = waiting.shift();
      if (!next) throw new Error('no request is waiting');
      next(status);
    },
  };
}

/** Lets pending I/O callbacks and promise jobs run (until `done`, if given), never on a timer. */
async function settle(done: () => boolean = () => false, rounds = 20): Promise<void> {
  for (let i = 0; i < rounds && !done(); i += 1) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('useConcurrencyLimit (the interceptor pair)', () => {
  const upstream = guardUpstream();
  afterEach(() => upstream.assertNoUnmatchedRequests());

  it('queues a burst past the limit, sends the queued one when a slot frees, and refuses past the queue with a 503', async () => {
    const { breaker, limit, get } = setup();
    const held = heldUpstream('/slow', 3);
    const calls = [get('/slow'), get('/slow'), get('/slow')];
    const refused: unknown = await get('/slow').catch((error: unknown) => error);
    await settle(() => held.arrived === 2);
    expect(held.arrived).toBe(2);
    expect(limit.snapshot()).toEqual({ limit: 2, inFlight: 2, queued: 1 });

    expect(refused).toBeInstanceOf(UpstreamOverloadedError);
    expect((refused as UpstreamOverloadedError).reason).toBe('queue_full');
    expect((refused as UpstreamOverloadedError).toProblem()).toMatchObject({
      status: 503,
      code: 'UPSTREAM_OVERLOADED',
      headers: { 'retry-after': '1' },
    });

    held.answer();
    await settle(() => held.arrived === 3, 1000);
    expect(held.arrived).toBe(3); // the queued one went as soon as a slot was free
    held.answer();
    held.answer();
    await expect(Promise.all(calls)).resolves.toHaveLength(3);
    expect(limit.snapshot()).toMatchObject({ inFlight: 0, queued: 0 });
    // The refusal took no breaker permit and is no outcome: only the three answers count.
    expect(breaker.snapshot().totals).toEqual({ successes: 3, failures: 0, rejections: 0 });
  });

  it('refuses a queued request whose wait passes the queue timeout, without calling the upstream', async () => {
    const { timers, limit, get } = setup();
    const held = heldUpstream('/slow', 2);
    const calls = [get('/slow'), get('/slow')];
    await settle(() => held.arrived === 2);
    const queued = get('/slow').catch((error: unknown) => error);
    await settle(() => limit.snapshot().queued === 1);
    timers.advance(250);
    await expect(queued).resolves.toMatchObject({ reason: 'queue_timeout' });
    expect(await queued).toBeInstanceOf(UpstreamOverloadedError);
    expect(limit.snapshot().queued).toBe(0);
    held.answer();
    held.answer();
    await Promise.all(calls);
    expect(held.arrived).toBe(2);
  });

  it("refuses an 'immediate' request at once when no slot is free, even with room in the queue", async () => {
    const { limit, get } = setup({ initialLimit: 1, queueSize: 5 });
    const held = heldUpstream('/slow', 1);
    const first = get('/slow');
    await settle(() => held.arrived === 1);
    await expect(get('/slow', { admission: 'immediate' })).rejects.toMatchObject({
      reason: 'no_free_slot',
    });
    expect(limit.snapshot()).toEqual({ limit: 1, inFlight: 1, queued: 0 });
    held.answer();
    await first;
  });

  it("sends an 'immediate' request at once when a slot is free", async () => {
    const { get } = setup();
    nock(BASE).get('/ok').reply(200, { a: 1 });
    await expect(get('/ok', { admission: 'immediate' })).resolves.toMatchObject({
      data: { a: 1 },
    });
  });

  it('lets a request cancelled while queued leave the queue, rejecting with the abort', async () => {
    const { limit, get } = setup({ initialLimit: 1 });
    const held = heldUpstream('/slow', 1);
    const first = get('/slow');
    await settle(() => held.arrived === 1);
    const controller = new AbortController();
    const queued = get('/slow', { signal: controller.signal });
    await settle(() => limit.snapshot().queued === 1);
    controller.abort(new Error('client went away'));
    await expect(queued).rejects.toThrow('client went away');
    expect(limit.snapshot()).toEqual({ limit: 1, inFlight: 1, queued: 0 });
    held.answer();
    await first;
    expect(held.arrived).toBe(1);
  });

  it('answers a deadline that passes while queued as an overload refusal (the upstream never saw it)', async () => {
    const { limit, get } = setup({ initialLimit: 1 });
    const held = heldUpstream('/slow', 1);
    const first = get('/slow');
    await settle(() => held.arrived === 1);
    const controller = new AbortController();
    const queued = get('/slow', { signal: controller.signal });
    await settle(() => limit.snapshot().queued === 1);
    controller.abort(new DOMException('deadline', 'TimeoutError'));
    await expect(queued).rejects.toBeInstanceOf(UpstreamOverloadedError);
    held.answer();
    await first;
  });

  it('frees the slot when the breaker refuses after it, teaching the limit nothing', async () => {
    const { breaker, limit, samples, get } = setup();
    breaker.forceOpen();
    await expect(get('/x')).rejects.toBeInstanceOf(UpstreamCircuitOpenError);
    expect(limit.snapshot()).toEqual({ limit: 2, inFlight: 0, queued: 0 });
    expect(samples).toEqual([undefined]);
  });

  it('teaches the limit each answer: latency from when it was sent, per operation, and drops', async () => {
    const { clock, timers, limit, samples, get } = setup({ initialLimit: 1 });
    const held = heldUpstream(/^\/getEventById\/1/, 2);
    const first = get('/getEventById/1');
    await settle(() => held.arrived === 1);
    const queued = get('/getEventById/1', { params: { x: 1 } });
    await settle(() => limit.snapshot().queued === 1);
    timers.advance(200); // the queued request waits 200 ms...
    held.answer();
    await first;
    await settle(() => held.arrived === 2, 1000);
    clock.advance(30); // ...and is answered 30 ms after it was sent
    held.answer(503);
    await expect(queued).rejects.toThrow();
    expect(samples).toEqual([
      { operation: 'GET /getEventById', latencyMs: 200, dropped: false },
      { operation: 'GET /getEventById', latencyMs: 30, dropped: true },
    ]);
  });

  it.each([
    [429, true],
    [404, false],
    [500, true],
  ])('counts an answer with status %i as a drop: %s', async (status, dropped) => {
    const { samples, get } = setup();
    nock(BASE).get('/s').reply(status);
    await expect(get('/s')).rejects.toThrow();
    expect(samples).toEqual([{ operation: 'GET /s', latencyMs: 0, dropped }]);
  });

  it('shrinks the limit on drops, and frees the slot of a malformed answer', async () => {
    const { limit, get } = setup({ initialLimit: 4 });
    nock(BASE).get('/down').reply(503);
    await expect(get('/down')).rejects.toThrow();
    expect(limit.snapshot().limit).toBe(3);
    nock(BASE).get('/weird').reply(200, 'x');
    const parse = (): never => {
      throw new UpstreamMalformedResponseError('bad body');
    };
    await expect(get('/weird', { parse })).rejects.toBeInstanceOf(UpstreamMalformedResponseError);
    expect(limit.snapshot()).toEqual({ limit: 3, inFlight: 0, queued: 0 });
  });

  it('stops limiting once detached', async () => {
    const { limit, get, detachLimit } = setup();
    detachLimit();
    nock(BASE).get('/x').reply(200, 'plain');
    await expect(get('/x')).resolves.toMatchObject({ data: 'plain' });
    expect(limit.acquire).not.toHaveBeenCalled();
  });
});
