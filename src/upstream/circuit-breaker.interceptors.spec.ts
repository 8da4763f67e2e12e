import axios from 'axios';
import nock from 'nock';
import {
  CircuitBreaker,
  CircuitBreakerRegistry,
  CircuitState,
  CountInWindowPolicy,
} from '../circuit-breaker';
import { FakeClock } from '../testing/fake-clock';
import { guardUpstream, networkError, neverAnswer } from '../testing/nock-upstream';
import { useCircuitBreaker, type BreakerRequestConfig } from './circuit-breaker.interceptors';
import { UpstreamCircuitOpenError, UpstreamMalformedResponseError } from './event-api.errors';

const BASE = 'http://upstream.test';
const identity = (data: unknown) => data;

function setup() {
  const clock = new FakeClock();
  const registry = new CircuitBreakerRegistry();
  const breaker = registry.register(
    new CircuitBreaker({
      name: 'b',
      policy: new CountInWindowPolicy(2, 30_000),
      backoff: { baseMs: 10_000, maxMs: 60_000, jitterRatio: 0 },
      probeTimeoutMs: 5_000,
      clock,
    }),
  );
  // axios ships separate CJS and ESM typings; the adapter is typed against the ESM ones.
  const client = axios.create({ baseURL: BASE }) as unknown as Parameters<
    typeof useCircuitBreaker
  >[0];
  const detach = useCircuitBreaker(client, registry, 3000);
  const get = (path: string, extra: Partial<BreakerRequestConfig> = {}) =>
    client.get(path, { circuitBreaker: 'b', parse: identity, ...extra });
  return { clock, breaker, client, detach, get };
}

describe('useCircuitBreaker (the interceptor pair)', () => {
  const upstream = guardUpstream();
  afterEach(() => upstream.assertNoUnmatchedRequests());

  it('reports a 2xx answer as a success', async () => {
    const { breaker, get } = setup();
    nock(BASE).get('/ok').reply(200, { a: 1 });
    await expect(get('/ok')).resolves.toMatchObject({ data: { a: 1 } });
    expect(breaker.snapshot().totals).toEqual({ successes: 1, failures: 0, rejections: 0 });
  });

  it('reports 5xx answers as failures and opens the breaker', async () => {
    const { breaker, get } = setup();
    nock(BASE).get('/down').times(2).reply(503);
    await expect(get('/down')).rejects.toThrow();
    await expect(get('/down')).rejects.toThrow();
    expect(breaker.state).toBe(CircuitState.Open);
  });

  it('reports a 4xx answer as a success: the upstream is healthy', async () => {
    const { breaker, get } = setup();
    nock(BASE).get('/missing').times(3).reply(404);
    for (let i = 0; i < 3; i += 1) await expect(get('/missing')).rejects.toThrow();
    expect(breaker.snapshot().totals).toMatchObject({ successes: 3, failures: 0 });
  });

  it('reports a network error as a failure', async () => {
    const { breaker, get } = setup();
    nock(BASE).get('/reset').replyWithError(networkError());
    await expect(get('/reset')).rejects.toThrow();
    expect(breaker.snapshot().totals.failures).toBe(1);
  });

  it('counts a body the parser rejects as a failure, and throws the parser error', async () => {
    const { breaker, get } = setup();
    nock(BASE).get('/weird').reply(200, 'not json');
    const parse = (): never => {
      throw new UpstreamMalformedResponseError('bad body');
    };
    await expect(get('/weird', { parse })).rejects.toBeInstanceOf(UpstreamMalformedResponseError);
    expect(breaker.snapshot().totals.failures).toBe(1);
  });

  it('hands the parsed body to the caller', async () => {
    const { get } = setup();
    nock(BASE).get('/n').reply(200, { n: 2 });
    const parse = (data: unknown) => (data as { n: number }).n * 10;
    await expect(get('/n', { parse })).resolves.toMatchObject({ data: 20 });
  });

  it('refuses without any upstream call while open, with the breaker and its wait', async () => {
    const { get } = setup();
    nock(BASE).get('/down').times(2).reply(500);
    await expect(get('/down')).rejects.toThrow();
    await expect(get('/down')).rejects.toThrow();
    const untouched = nock(BASE).get('/down').reply(200);
    const error: unknown = await get('/down').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamCircuitOpenError);
    expect(error).toMatchObject({ breaker: 'b', state: CircuitState.Open, retryAfterMs: 10_000 });
    expect(untouched.isDone()).toBe(false);
  });

  it('frees the probe slot when a call is cancelled (no outcome)', async () => {
    const { breaker, clock, get } = setup();
    nock(BASE).get('/down').times(2).reply(500);
    await expect(get('/down')).rejects.toThrow();
    await expect(get('/down')).rejects.toThrow();
    clock.advance(10_000);
    const controller = new AbortController();
    nock(BASE).get('/slow').reply(neverAnswer);
    const call = get('/slow', { signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toThrow();
    expect(breaker.snapshot()).toMatchObject({ state: CircuitState.HalfOpen, probesInFlight: 0 });
  });

  it('refuses a request that names no breaker', async () => {
    const { client } = setup();
    const untouched = nock(BASE).get('/x').reply(200);
    await expect(client.get('/x')).rejects.toThrow(/names no circuit breaker/);
    expect(untouched.isDone()).toBe(false);
  });

  it('stops guarding the client once detached', async () => {
    const { client, detach } = setup();
    detach();
    nock(BASE).get('/x').reply(200, 'plain');
    await expect(client.get('/x')).resolves.toMatchObject({ data: 'plain' });
  });
});
