import { Test, type TestingModule } from '@nestjs/testing';
import nock from 'nock';
import { CircuitBreakerRegistry, CircuitState } from '../circuit-breaker';
import { ClockModule } from '../common/clock.module';
import { TracingModule } from '../tracing/tracing.module';
import { requestContext } from '../common/request-context';
import { loadConfig } from '../common/config/gateway-config';
import {
  guardUpstream,
  networkError,
  UPSTREAM,
  upstreamEvent,
  upstreamUser,
} from '../testing/nock-upstream';
import { READ_BREAKER, WRITE_BREAKER } from './upstream-breakers';
import { EventGateway } from './event-gateway';
import {
  UpstreamCircuitOpenError,
  UpstreamHttpError,
  UpstreamMalformedResponseError,
  UpstreamNetworkError,
} from './event-api.errors';
import { EventGatewayModule } from './event-gateway.module';
import { UpstreamCallEvents, type UpstreamCallEvent } from './upstream-call-events';
import { gatewayConfigModule } from '../common/config/gateway-config.module';

describe('EventGateway', () => {
  const upstream = guardUpstream();
  let moduleRef: TestingModule;
  let gateway: EventGateway;
  let registry: CircuitBreakerRegistry;
  let calls: UpstreamCallEvent[];

  beforeEach(async () => {
    const config = loadConfig({ EVENT_API_BASE_URL: UPSTREAM, UPSTREAM_RETRY_DELAY_MS: '0' });
    moduleRef = await Test.createTestingModule({
      imports: [gatewayConfigModule(config), ClockModule, TracingModule, EventGatewayModule],
    }).compile();
    gateway = moduleRef.get(EventGateway);
    registry = moduleRef.get(CircuitBreakerRegistry);
    calls = [];
    moduleRef.get(UpstreamCallEvents).on((call) => calls.push(call));
  });

  afterEach(async () => {
    upstream.assertNoUnmatchedRequests();
    await moduleRef.close();
  });

  it('returns normalised users', async () => {
    nock(UPSTREAM)
      .get('/getUsers')
      .reply(200, [upstreamUser(1, ['1', 2])]);
    await expect(gateway.getUsers()).resolves.toEqual([
      { id: '1', name: 'User 1', email: 'user1@example.com', events: ['1', '2'] },
    ]);
  });

  it('reads an empty 200 body as "no such user"', async () => {
    nock(UPSTREAM).get('/getUserById/42').reply(200, '');
    await expect(gateway.getUserById('42')).resolves.toBeNull();
  });

  it('reads a 404 as "no such user" (a fixed upstream)', async () => {
    nock(UPSTREAM).get('/getUserById/42').reply(404);
    await expect(gateway.getUserById('42')).resolves.toBeNull();
  });

  it('encodes an id so it cannot change the upstream path', async () => {
    const scope = nock(UPSTREAM).get('/getUserById/..%2Fadmin').reply(200, '');
    await expect(gateway.getUserById('../admin')).resolves.toBeNull();
    expect(scope.isDone()).toBe(true);
  });

  it('sends the correlation id of the request it serves', async () => {
    const scope = nock(UPSTREAM, { reqheaders: { 'x-correlation-id': 'trace-7' } })
      .get('/getUsers')
      .reply(200, []);
    await requestContext.run({ correlationId: 'trace-7' }, () => gateway.getUsers());
    expect(scope.isDone()).toBe(true);
  });

  it('names an event by the id it asked for', async () => {
    nock(UPSTREAM).get('/getEventById/7').reply(200, upstreamEvent(70, 4));
    await expect(gateway.getEventById('7')).resolves.toMatchObject({ id: '7', userId: '4' });
  });

  it('retries a read once after a 5xx', async () => {
    const scope = nock(UPSTREAM)
      .get('/getEvents')
      .reply(502)
      .get('/getEvents')
      .reply(200, [upstreamEvent(1, 1)]);
    await expect(gateway.getEvents()).resolves.toHaveLength(1);
    expect(scope.isDone()).toBe(true);
    expect(calls.map((call) => call.outcome)).toEqual(['http_5xx', 'success']);
  });

  it('retries a read once after a network error', async () => {
    nock(UPSTREAM).get('/getUsers').replyWithError(networkError()).get('/getUsers').reply(200, []);
    await expect(gateway.getUsers()).resolves.toEqual([]);
  });

  it('gives up after the one retry', async () => {
    const scope = nock(UPSTREAM).get('/getUsers').times(2).reply(503);
    const third = nock(UPSTREAM).get('/getUsers').reply(200, []);
    await expect(gateway.getUsers()).rejects.toEqual(new UpstreamHttpError(503));
    expect(scope.isDone()).toBe(true);
    expect(third.isDone()).toBe(false);
  });

  it('does not retry a 4xx', async () => {
    nock(UPSTREAM).get('/getUsers').reply(400);
    const second = nock(UPSTREAM).get('/getUsers').reply(200, []);
    await expect(gateway.getUsers()).rejects.toBeInstanceOf(UpstreamHttpError);
    expect(second.isDone()).toBe(false);
  });

  it('turns a malformed body into an upstream error that counts against the breaker', async () => {
    nock(UPSTREAM).get('/getUsers').reply(200, { not: 'a list' });
    await expect(gateway.getUsers()).rejects.toBeInstanceOf(UpstreamMalformedResponseError);
    expect(registry.get(READ_BREAKER).snapshot().totals.failures).toBe(1);
  });

  it('sends the event it is given and resolves once the upstream acknowledged it', async () => {
    const event = { id: 'e-1', name: 'Offsite', userId: '1', details: 'Lisbon' };
    const scope = nock(UPSTREAM).post('/addEvent', event).reply(200, { success: true });
    await expect(gateway.addEvent(event)).resolves.toBeUndefined();
    expect(scope.isDone()).toBe(true);
  });

  it('treats an acknowledgement that says success: false as a malformed answer', async () => {
    nock(UPSTREAM).post('/addEvent').reply(200, { success: false });
    await expect(gateway.addEvent({ id: 'e', name: 'x', userId: '1' })).rejects.toBeInstanceOf(
      UpstreamMalformedResponseError,
    );
  });

  it('fails a write on the first 503 and counts it on the write breaker', async () => {
    nock(UPSTREAM).post('/addEvent').reply(503, { success: false });
    const retry = nock(UPSTREAM).post('/addEvent').reply(200, { success: true });
    await expect(gateway.addEvent({ id: 'e', name: 'x', userId: '1' })).rejects.toEqual(
      new UpstreamHttpError(503),
    );
    expect(retry.isDone()).toBe(false);
    expect(registry.get(WRITE_BREAKER).snapshot().failuresInWindow).toBe(1);
    expect(registry.get(READ_BREAKER).snapshot().failuresInWindow).toBe(0);
  });

  it('reports a connection failure as a network error', async () => {
    nock(UPSTREAM).post('/addEvent').replyWithError(networkError());
    await expect(gateway.addEvent({ id: 'e', name: 'x', userId: '1' })).rejects.toBeInstanceOf(
      UpstreamNetworkError,
    );
  });

  describe('coalescing identical reads', () => {
    it('shares one upstream call between identical reads in flight', async () => {
      const scope = nock(UPSTREAM).get('/getUserById/1').reply(200, upstreamUser(1));
      const [first, second] = await Promise.all([
        gateway.getUserById('1'),
        gateway.getUserById('1'),
      ]);
      expect(first).toEqual(second);
      expect(scope.isDone()).toBe(true);
    });

    it('does not cache: a read after the first finished calls the upstream again', async () => {
      const scope = nock(UPSTREAM).get('/getUserById/1').times(2).reply(200, upstreamUser(1));
      await gateway.getUserById('1');
      await gateway.getUserById('1');
      expect(scope.isDone()).toBe(true);
    });

    it('shares a failure too, and the next read tries again', async () => {
      nock(UPSTREAM).get('/getUsers').times(2).reply(500).get('/getUsers').reply(200, []);
      const results = await Promise.allSettled([gateway.getUsers(), gateway.getUsers()]);
      expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
      await expect(gateway.getUsers()).resolves.toEqual([]);
    });
  });

  describe('writeRefusal', () => {
    it('is undefined while the write breaker would admit a create, and takes no permit', () => {
      expect(gateway.writeRefusal()).toBeUndefined();
      expect(registry.get(WRITE_BREAKER).snapshot().totals).toEqual({
        successes: 0,
        failures: 0,
        rejections: 0,
      });
    });

    it('is the 503 while the write breaker is open, and reports the refusal', () => {
      registry.get(WRITE_BREAKER).forceOpen();
      expect(gateway.writeRefusal()).toBeInstanceOf(UpstreamCircuitOpenError);
      expect(calls).toEqual([
        { operation: 'addEvent', breaker: WRITE_BREAKER, outcome: 'rejected', durationSeconds: 0 },
      ]);
      expect(registry.get(WRITE_BREAKER).state).toBe(CircuitState.ForcedOpen);
    });
  });
});
