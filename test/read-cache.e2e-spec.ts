import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import nock from 'nock';
import { CircuitBreakerRegistry } from '../src/circuit-breaker';
import { FakeClock } from '../src/testing/fake-clock';
import { ReadCache } from '../src/read-cache/read-cache.service';
import { READ_BREAKER } from '../src/upstream/upstream-breakers';
import { guardUpstream, UPSTREAM, upstreamEvent, upstreamUser } from '../src/testing/nock-upstream';
import { LogCapture } from './support/log-capture';
import { sample } from './support/metrics';
import { startRedis, type RedisServer } from './support/redis-server';
import { useTestApp } from './support/test-app';

const CACHE = { READ_CACHE_TTL_MS: '5000', READ_CACHE_STALE_IF_ERROR_MS: '60000' };

// Once per file: it patches and restores Node's http module around the whole file.
const upstream = guardUpstream();

// The same behaviour with the default store (process memory) and with Redis.
describe.each(['memory', 'redis'] as const)('read cache (e2e, %s store)', (store) => {
  const gateway = useTestApp();
  let redis: RedisServer | undefined;
  let wallClock: FakeClock;

  beforeAll(async () => {
    if (store === 'redis') redis = await startRedis();
  });
  afterAll(() => redis?.stop());
  beforeEach(async () => {
    wallClock = new FakeClock(Date.now());
    if (redis) {
      const client = new Redis(redis.url);
      await client.flushall();
      client.disconnect();
    }
  });
  afterEach(() => upstream.assertNoUnmatchedRequests());

  const start = (env: Record<string, string> = {}) =>
    gateway.start({ ...CACHE, ...(redis ? { REDIS_URL: redis.url } : {}), ...env }, { wallClock });
  const get = (app: NestFastifyApplication, url: string) => app.inject({ method: 'GET', url });

  it('stores a read, then serves it without calling the upstream, with Cache-Status and Age', async () => {
    const app = await start();
    nock(UPSTREAM).get('/getUserById/1').once().reply(200, upstreamUser(1));
    const first = await get(app, '/users/1');
    expect(first.headers['cache-status']).toBe('event-gateway; fwd=miss; stored');
    expect(first.headers.age).toBeUndefined();

    wallClock.advance(2_000);
    const second = await get(app, '/users/1');
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    expect(second.headers['cache-status']).toBe('event-gateway; hit; ttl=3');
    expect(second.headers.age).toBe('2');
  });

  it('serves a legacy path and its resource path from one entry', async () => {
    const app = await start();
    nock(UPSTREAM)
      .get('/getUsers')
      .once()
      .reply(200, [upstreamUser(1)]);
    await get(app, '/getUsers');
    const resource = await get(app, '/users');
    expect(resource.headers['cache-status']).toMatch(/^event-gateway; hit; /);
  });

  describe('a fresh hit', () => {
    // Every route served through the read cache, with what its first read asks the upstream.
    const routes: [string, () => void][] = [
      [
        '/users',
        () =>
          nock(UPSTREAM)
            .get('/getUsers')
            .once()
            .reply(200, [upstreamUser(1)]),
      ],
      [
        '/v1/users/1',
        () => nock(UPSTREAM).get('/getUserById/1').once().reply(200, upstreamUser(1)),
      ],
      [
        '/users/1/events',
        () =>
          nock(UPSTREAM)
            .get('/getUserById/1')
            .once()
            .reply(200, upstreamUser(1, [7]))
            .get('/getEventById/7')
            .once()
            .reply(200, upstreamEvent(7, 1)),
      ],
      [
        '/v1/events',
        () =>
          nock(UPSTREAM)
            .get('/getEvents')
            .once()
            .reply(200, [upstreamEvent(7, 1)]),
      ],
      [
        '/events/7',
        () => nock(UPSTREAM).get('/getEventById/7').once().reply(200, upstreamEvent(7, 1)),
      ],
      [
        '/getEventsByUserId/1',
        () => nock(UPSTREAM).get('/getUserById/1').once().reply(200, upstreamUser(1, [])),
      ],
    ];
    // What differs from one answer to the next whoever gives it.
    const perAnswer = ['date', 'x-correlation-id', 'x-ratelimit-remaining', 'traceparent'];
    const stable = (headers: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(headers).filter(([name]) => !perAnswer.includes(name)));

    it.each(routes)(
      `%s: answered ${store === 'memory' ? 'before' : 'by'} the route's handler, exactly as the handler answers it`,
      async (path, stubUpstream) => {
        const app = await start();
        stubUpstream();
        expect((await get(app, path)).statusCode).toBe(200); // stored
        const serve = jest.spyOn(ReadCache.prototype, 'serve');
        try {
          // A request that states a preference always goes to the handler.
          const byHandler = await app.inject({
            method: 'GET',
            url: path,
            headers: { prefer: 'return=minimal' },
          });
          expect(serve).toHaveBeenCalledTimes(1);
          const hit = await get(app, path);
          // In memory the pipeline answers it; Redis must be asked, so the handler does.
          expect(serve).toHaveBeenCalledTimes(store === 'memory' ? 1 : 2);
          expect(hit.statusCode).toBe(200);
          expect(hit.headers['cache-status']).toBe('event-gateway; hit; ttl=5');
          expect(hit.body).toBe(byHandler.body);
          expect(stable(hit.headers)).toEqual(stable(byHandler.headers));
          expect(hit.headers['x-correlation-id']).toEqual(expect.any(String));
          expect(hit.headers['x-correlation-id']).not.toBe(byHandler.headers['x-correlation-id']);
          const head = await app.inject({ method: 'HEAD', url: path });
          expect(head.statusCode).toBe(200);
          expect(head.body).toBe('');
          expect(head.headers['content-length']).toBe(hit.headers['content-length']);
        } finally {
          serve.mockRestore();
        }
      },
    );

    it('with Prefer: handling=lenient, is the lenient answer (its headers), from the handler', async () => {
      const app = await start();
      routes[2][1]();
      await get(app, '/users/1/events');
      const lenient = await app.inject({
        method: 'GET',
        url: '/users/1/events',
        headers: { prefer: 'handling=lenient' },
      });
      expect(lenient.headers['cache-status']).toBe('event-gateway; hit; ttl=5');
      expect(lenient.headers['preference-applied']).toBe('handling=lenient');
    });

    it('leaves an id the handler refuses to the handler: 400, nothing asked upstream', async () => {
      const app = await start();
      const refused = await get(app, '/users/not%20an%20id');
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });

  it('asks the upstream again once the copy is no longer fresh', async () => {
    const app = await start();
    nock(UPSTREAM)
      .get('/getEvents')
      .times(2)
      .reply(200, [upstreamEvent(1, 1)]);
    await get(app, '/events');
    wallClock.advance(5_000);
    expect((await get(app, '/events')).headers['cache-status']).toBe(
      'event-gateway; fwd=miss; stored',
    );
  });

  it('serves the stored copy, marked stale, when the upstream fails (stale-if-error)', async () => {
    const app = await start();
    nock(UPSTREAM).get('/getUserById/1').reply(200, upstreamUser(1));
    await get(app, '/users/1');
    wallClock.advance(5_000 + 12_000);
    nock(UPSTREAM).get('/getUserById/1').times(2).reply(503);
    const response = await get(app, '/users/1');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: '1' });
    expect(response.headers['cache-status']).toBe('event-gateway; hit; ttl=-12');
    expect(response.headers.age).toBe('17');
  });

  it('serves the stored copy when the read breaker refuses the call, without calling the upstream', async () => {
    const app = await start();
    nock(UPSTREAM)
      .get('/getEvents')
      .reply(200, [upstreamEvent(1, 1)]);
    await get(app, '/events');
    wallClock.advance(6_000);
    app.get(CircuitBreakerRegistry).get(READ_BREAKER).forceOpen();
    const response = await get(app, '/getEvents');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-status']).toBe('event-gateway; hit; ttl=-1');
  });

  it('fails as usual, in the common error body, when there is no stored copy', async () => {
    const app = await start();
    nock(UPSTREAM).get('/getEvents').times(2).reply(503);
    const response = await get(app, '/events');
    expect(response.statusCode).toBe(502);
    expect(response.json()).toMatchObject({ code: 'UPSTREAM_BAD_STATUS' });
  });

  it('fails once the copy is older than the fresh and stale windows together', async () => {
    const app = await start();
    nock(UPSTREAM).get('/getEvents').reply(200, []);
    await get(app, '/events');
    wallClock.advance(5_000 + 60_000);
    nock(UPSTREAM).get('/getEvents').times(2).reply(503);
    expect((await get(app, '/events')).statusCode).toBe(502);
  });

  it('does not store an unknown user: the next read asks again', async () => {
    const app = await start();
    nock(UPSTREAM).get('/getUserById/9').times(2).reply(200, '');
    expect((await get(app, '/users/9')).statusCode).toBe(404);
    expect((await get(app, '/users/9')).statusCode).toBe(404);
  });

  it("forgets what a create changes: the user's events are read again at once", async () => {
    const app = await start({ UPSTREAM_MAX_CONCURRENCY: '4' });
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1, ['1']))
      .get('/getEventById/1')
      .reply(200, upstreamEvent(1, 1));
    await get(app, '/users/1/events');
    let created = '';
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1, ['1']))
      .post('/addEvent', (body: { id: string }) => ((created = body.id), true))
      .reply(200, { success: true });
    const response = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'New', userId: '1' }),
    });
    expect(response.statusCode).toBe(201);
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1, ['1', created]))
      .get('/getEventById/1')
      .reply(200, upstreamEvent(1, 1))
      .get(`/getEventById/${created}`)
      .reply(200, { id: created, name: 'New', userId: 1 });
    const after = await get(app, '/users/1/events');
    expect(after.headers['cache-status']).toBe('event-gateway; fwd=miss; stored');
    expect(after.json().map((event: { id: string }) => event.id)).toEqual(['1', created]);
  });

  it('counts hits, misses and stale answers in /metrics', async () => {
    const app = await start();
    // Counters live in the process's registry, shared by the apps of this file: compare deltas.
    const counts = async () => {
      const metrics = (await get(app, '/metrics')).body;
      return ['miss', 'hit', 'stale'].map(
        (outcome) => sample(metrics, 'read_cache_requests_total', { outcome }) ?? 0,
      );
    };
    const before = await counts();
    nock(UPSTREAM).get('/getUsers').reply(200, []);
    await get(app, '/users');
    await get(app, '/users');
    wallClock.advance(10_000);
    nock(UPSTREAM).get('/getUsers').times(2).reply(503);
    await get(app, '/users');
    const after = await counts();
    expect(after.map((count, i) => count - before[i])).toEqual([1, 1, 1]);
  });

  if (store === 'redis') {
    it('treats an entry that does not parse as a miss: logged, never a 500', async () => {
      const logs = new LogCapture();
      const app = await start({ LOG_LEVEL: 'warn' });
      await app.close();
      const client = new Redis(redis!.url);
      await client.set('event-gateway:read-cache:users', '{not json');
      client.disconnect();
      const logged = await gateway.start(
        { ...CACHE, REDIS_URL: redis!.url, LOG_LEVEL: 'warn' },
        { wallClock, logs },
      );
      nock(UPSTREAM).get('/getUsers').reply(200, []);
      const response = await get(logged, '/users');
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-status']).toBe('event-gateway; fwd=miss; stored');
      expect(logs.matching(/Unreadable read-cache entry "users"/)).toHaveLength(1);
    });
  }
});
