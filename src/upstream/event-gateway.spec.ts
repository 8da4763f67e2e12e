import { ConfigModule } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { ClsModule } from 'nestjs-cls';
import nock from 'nock';
import { circuitBreakerConfig, upstreamConfig } from '../config/configuration';
import { MetricsModule } from '../metrics/metrics.module';
import {
  guardUpstream,
  networkError,
  UPSTREAM,
  upstreamEvent,
  upstreamUser,
} from '../testing/nock-upstream';
import { CircuitBreakerRegistry } from './circuit-breaker/circuit-breaker.registry';
import { READ_BREAKER, WRITE_BREAKER } from './circuit-breaker-names';
import { EventGateway } from './event-gateway';
import { UpstreamModule } from './upstream.module';
import {
  UpstreamHttpError,
  UpstreamMalformedResponseError,
  UpstreamNetworkError,
} from './upstream.errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('EventGateway', () => {
  const upstream = guardUpstream();
  let moduleRef: TestingModule;
  let gateway: EventGateway;
  let registry: CircuitBreakerRegistry;

  beforeEach(async () => {
    process.env.EVENT_API_BASE_URL = UPSTREAM;
    process.env.UPSTREAM_RETRY_DELAY_MS = '0';
    process.env.UPSTREAM_MAX_CONCURRENCY = '2';
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          isGlobal: true,
          load: [upstreamConfig, circuitBreakerConfig],
        }),
        ClsModule.forRoot({ global: true }),
        MetricsModule,
        UpstreamModule,
      ],
    }).compile();
    gateway = moduleRef.get(EventGateway);
    registry = moduleRef.get(CircuitBreakerRegistry);
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

  it('refuses an id that could change the upstream path, without calling it', async () => {
    await expect(gateway.getUserById('../admin')).rejects.toThrow(RangeError);
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

  it('sends the new event with a UUID it chose, and never retries the write', async () => {
    let sent: unknown;
    nock(UPSTREAM)
      .post('/addEvent', (body: unknown) => ((sent = body), true))
      .reply(200, { success: true });
    const created = await gateway.addEvent({ name: 'Offsite', userId: '1', details: 'Lisbon' });
    expect(created.id).toMatch(UUID);
    expect(sent).toEqual({ id: created.id, name: 'Offsite', userId: '1', details: 'Lisbon' });
  });

  it('fails a write on the first 503 and counts it on the write breaker', async () => {
    nock(UPSTREAM).post('/addEvent').reply(503, { success: false });
    const retry = nock(UPSTREAM).post('/addEvent').reply(200, { success: true });
    await expect(gateway.addEvent({ name: 'x', userId: '1' })).rejects.toEqual(
      new UpstreamHttpError(503),
    );
    expect(retry.isDone()).toBe(false);
    expect(registry.get(WRITE_BREAKER).snapshot().failuresInWindow).toBe(1);
    expect(registry.get(READ_BREAKER).snapshot().failuresInWindow).toBe(0);
  });

  it('reports a connection failure as a network error', async () => {
    nock(UPSTREAM).post('/addEvent').replyWithError(networkError());
    await expect(gateway.addEvent({ name: 'x', userId: '1' })).rejects.toBeInstanceOf(
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

  describe('getEventsByIds', () => {
    it('fetches each distinct id once and keeps first-seen order', async () => {
      const scope = nock(UPSTREAM)
        .get('/getEventById/2')
        .reply(200, upstreamEvent(2, 1))
        .get('/getEventById/1')
        .reply(200, upstreamEvent(1, 1))
        .get('/getEventById/9')
        .reply(200, '');
      const events = await gateway.getEventsByIds(['2', '1', '2', '9', '1']);
      expect([...events.keys()]).toEqual(['2', '1', '9']);
      expect(events.get('9')).toBeNull();
      expect(scope.isDone()).toBe(true);
    });

    it('keeps at most UPSTREAM_MAX_CONCURRENCY calls in flight', async () => {
      const pending: (() => void)[] = [];
      let peak = 0;
      nock(UPSTREAM)
        .get(/\/getEventById\/\d+/)
        .times(5)
        .reply(function (uri, _body, callback) {
          pending.push(() => callback(null, [200, upstreamEvent(uri.split('/').pop()!, 1)]));
          peak = Math.max(peak, pending.length);
        });
      const result = gateway.getEventsByIds(['1', '2', '3', '4', '5']);
      const drain = async () => {
        while (
          (await Promise.race([
            result.then(() => true),
            new Promise((r) => setImmediate(() => r(false))),
          ])) === false
        ) {
          pending.splice(0).forEach((release) => release());
        }
      };
      await drain();
      expect((await result).size).toBe(5);
      expect(peak).toBe(2);
    });
  });
});
