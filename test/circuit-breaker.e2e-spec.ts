import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import nock from 'nock';
import { CircuitBreakerRegistry, CircuitState } from '../src/circuit-breaker';
import { READ_BREAKER, WRITE_BREAKER } from '../src/upstream/upstream-breakers';
import { guardUpstream, neverAnswer, UPSTREAM, upstreamUser } from '../src/testing/nock-upstream';
import { flushIo, useTestApp } from './support/test-app';

describe('circuit breaker (e2e, nock upstream)', () => {
  const upstream = guardUpstream();
  // The breakers measure time on the test's FakeClock: waits are stepped over, never slept through.
  const gateway = useTestApp();
  let app: NestFastifyApplication;
  let registry: CircuitBreakerRegistry;

  const addEvent = (url = '/addEvent') =>
    app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'Standup', userId: '1' }),
    });

  beforeEach(async () => {
    app = await gateway.start({ UPSTREAM_TIMEOUT_MS: '200' });
    registry = app.get(CircuitBreakerRegistry);
    // The owner check before each write: a healthy read.
    nock(UPSTREAM).persist().get('/getUserById/1').reply(200, upstreamUser(1));
  });

  afterEach(() => upstream.assertNoUnmatchedRequests());

  /** Moves the breakers' clock to the end of the write breaker's open wait. */
  const waitOutWriteBreaker = () =>
    gateway.clock.advance(registry.get(WRITE_BREAKER).snapshot().retryAfterMs);

  /** The upstream's addEvent cycle: 5 successes, then 503 (10 of them in the real cycle). */
  function stubAddEventCycle() {
    return {
      successes: nock(UPSTREAM).post('/addEvent').times(5).reply(200, { success: true }),
      failures: nock(UPSTREAM)
        .post('/addEvent')
        .times(3)
        .reply(503, { success: false, error: 'Service Unavailable' }),
    };
  }

  async function openWriteBreaker(): Promise<void> {
    const cycle = stubAddEventCycle();
    for (let i = 0; i < 8; i += 1) await addEvent();
    expect(cycle.failures.isDone()).toBe(true);
    expect(registry.get(WRITE_BREAKER).state).toBe(CircuitState.Open);
  }

  it('turns the upstream 15-call cycle into 200 x5, 502 x3, then 503 without calling upstream', async () => {
    stubAddEventCycle();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) statuses.push((await addEvent()).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 502, 502, 502]);

    const untouched = nock(UPSTREAM).post('/addEvent').reply(200, { success: true });
    const rejected = await addEvent();
    expect(rejected.statusCode).toBe(503);
    const retryAfter = Number(rejected.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(9);
    expect(retryAfter).toBeLessThanOrEqual(10);
    expect(rejected.json()).toEqual({
      statusCode: 503,
      success: false,
      error: 'Service temporarily unavailable',
      code: 'CIRCUIT_OPEN',
      message: 'Event service is currently experiencing issues. Please try again later.',
      retryAfter,
      circuitBreakerState: 'OPEN',
      requestId: rejected.headers['x-correlation-id'],
    });
    expect(untouched.isDone()).toBe(false);
  });

  it('answers the resource path with the same 503 while open', async () => {
    await openWriteBreaker();
    const untouched = nock(UPSTREAM).post('/addEvent').reply(200, { success: true });
    expect((await addEvent('/events')).statusCode).toBe(503);
    expect(untouched.isDone()).toBe(false);
  });

  it('refuses creates while the write breaker is open without any upstream call, not even the owner check', async () => {
    await openWriteBreaker();
    nock.cleanAll(); // from here, any upstream call at all is unmatched and fails the test
    for (const url of ['/events', '/addEvent']) {
      for (let i = 0; i < 20; i += 1) expect((await addEvent(url)).statusCode).toBe(503);
    }
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('refuses a create while open before reading its body: 503, not a validation error', async () => {
    await openWriteBreaker();
    const response = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": 42}',
    });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'CIRCUIT_OPEN', circuitBreakerState: 'OPEN' });
  });

  it('lets a single probe through after the wait, and a successful probe closes the breaker', async () => {
    await openWriteBreaker();
    waitOutWriteBreaker();
    const probe = nock(UPSTREAM).post('/addEvent').reply(200, { success: true });
    expect((await addEvent()).statusCode).toBe(200);
    expect(probe.isDone()).toBe(true);
    expect(registry.get(WRITE_BREAKER).state).toBe(CircuitState.Closed);

    nock(UPSTREAM).post('/addEvent').reply(200, { success: true });
    expect((await addEvent()).statusCode).toBe(200);
  });

  it('with 6 concurrent calls in half-open, exactly one reaches the upstream', async () => {
    await openWriteBreaker();
    waitOutWriteBreaker();
    let probeCalls = 0;
    let answerProbe: (() => void) | undefined;
    nock(UPSTREAM)
      .post('/addEvent')
      .times(6)
      .reply((_uri, _body, callback) => {
        probeCalls += 1;
        answerProbe = () => callback(null, [200, { success: true }]);
      });

    const calls = Array.from({ length: 6 }, () => addEvent());
    // Hold the probe's answer until the other five have been turned away.
    while (!answerProbe) await flushIo();
    const settled: number[] = [];
    calls.forEach((call) => void call.then((response) => settled.push(response.statusCode)));
    while (settled.length < 5) await flushIo();
    expect(settled).toEqual([503, 503, 503, 503, 503]);
    answerProbe();
    const responses = await Promise.all(calls);

    expect(probeCalls).toBe(1);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 503, 503, 503, 503, 503]);
    const halfOpenRejection = responses.find((r) => r.statusCode === 503)!;
    expect(halfOpenRejection.json().circuitBreakerState).toBe('HALF_OPEN');
    expect(Number(halfOpenRejection.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(registry.get(WRITE_BREAKER).state).toBe(CircuitState.Closed);
  });

  it('a failed probe reopens the breaker for twice as long', async () => {
    await openWriteBreaker();
    waitOutWriteBreaker();
    nock(UPSTREAM).post('/addEvent').reply(503, { success: false });
    expect((await addEvent()).statusCode).toBe(502);
    const rejected = await addEvent();
    expect(rejected.statusCode).toBe(503);
    expect(Number(rejected.headers['retry-after'])).toBeGreaterThanOrEqual(18);
    expect(Number(rejected.headers['retry-after'])).toBeLessThanOrEqual(20);
  });

  it('keeps serving reads while the write breaker is open', async () => {
    await openWriteBreaker();
    nock(UPSTREAM)
      .get('/getUsers')
      .reply(200, [upstreamUser(1)]);
    const response = await app.inject({ method: 'GET', url: '/users' });
    expect(response.statusCode).toBe(200);
    expect(registry.get(READ_BREAKER).state).toBe(CircuitState.Closed);
  });

  it('answers 504 while the upstream hangs, and the timeouts open the breaker', async () => {
    nock(UPSTREAM).post('/addEvent').times(3).reply(neverAnswer);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await addEvent()).statusCode);
    expect(statuses).toEqual([504, 504, 504]);
    const untouched = nock(UPSTREAM).post('/addEvent').reply(200, { success: true });
    expect((await addEvent()).statusCode).toBe(503);
    expect(untouched.isDone()).toBe(false);
  });

  it('does not open for upstream 4xx answers: the upstream is healthy', async () => {
    nock(UPSTREAM).post('/addEvent').times(5).reply(400, { success: false });
    for (let i = 0; i < 5; i += 1) expect((await addEvent()).statusCode).toBe(502);
    expect(registry.get(WRITE_BREAKER).state).toBe(CircuitState.Closed);
  });

  it('opens the read breaker on a high failure rate and then rejects reads without calling upstream', async () => {
    // 20 calls at 100% failure: 10 requests, each retried once.
    nock(UPSTREAM).get('/getEvents').times(20).reply(500);
    for (let i = 0; i < 10; i += 1) await app.inject({ method: 'GET', url: '/events' });
    expect(registry.get(READ_BREAKER).state).toBe(CircuitState.Open);
    const untouched = nock(UPSTREAM).get('/getEvents').reply(200, []);
    const response = await app.inject({ method: 'GET', url: '/getEvents' });
    expect(response.statusCode).toBe(503);
    expect(untouched.isDone()).toBe(false);
  });
});
