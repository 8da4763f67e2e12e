import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import nock from 'nock';
import { FakeClock } from '../src/testing/fake-clock';
import type { RedisConnection } from '../src/redis/redis-connection';
import { REDIS } from '../src/redis/redis.module';
import { guardUpstream, UPSTREAM, upstreamEvent, upstreamUser } from '../src/testing/nock-upstream';
import { LogCapture } from './support/log-capture';
import { sample } from './support/metrics';
import { startRedis, type RedisServer } from './support/redis-server';
import { createTestApp } from './support/test-app';

/** Resolves when the app's Redis connection reports `up` (an awaited event, no polling). */
function redisUp(app: NestFastifyApplication, up: boolean): Promise<void> {
  const redis = app.get<RedisConnection>(REDIS);
  if (redis.up === up) return Promise.resolve();
  return new Promise((resolve) => {
    const subscription = redis.onChange((now) => {
      if (now !== up) return;
      subscription.dispose();
      resolve();
    });
  });
}

// Two gateway replicas on one real Redis: what one stores, counts or forgets, the other sees.
describe('two replicas on one Redis (e2e)', () => {
  const upstream = guardUpstream();
  let redis: RedisServer;
  let replicas: NestFastifyApplication[] = [];
  let wallClock: FakeClock;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());
  afterEach(async () => {
    upstream.assertNoUnmatchedRequests();
    await Promise.all(replicas.map((app) => app.close()));
    replicas = [];
  }, 30_000);

  async function startReplicas(env: Record<string, string> = {}, logs?: LogCapture) {
    wallClock = new FakeClock(Date.now());
    const settings = {
      REDIS_URL: redis.url,
      READ_CACHE_TTL_MS: '5000',
      READ_CACHE_STALE_IF_ERROR_MS: '600000',
      ...env,
    };
    // Nest's logger is process-wide: the last app to set it (the one given `logs`) hears both
    // replicas, so that one is created last.
    const b = await createTestApp({ ...settings, LOG_LEVEL: 'silent' }, { wallClock });
    const a = await createTestApp(settings, { wallClock, ...(logs ? { logs } : {}) });
    replicas = [a, b];
    // A fresh Redis for every test: keys of earlier tests would be shared state too.
    await replicas[0].get<RedisConnection>(REDIS).run((client) => client.flushall());
    return replicas;
  }

  const get = (app: NestFastifyApplication, url: string) => app.inject({ method: 'GET', url });

  it('enforces one rate limit across replicas: 12 requests over both get 10 answers and 2 × 429', async () => {
    const [a, b] = await startReplicas({ RATE_LIMIT_MAX: '10' });
    nock(UPSTREAM).get('/getUserById/1').times(10).reply(200, upstreamUser(1));
    const statuses: number[] = [];
    const limited = [];
    for (let i = 0; i < 12; i += 1) {
      const response = await get(i % 2 === 0 ? a : b, '/users/1');
      statuses.push(response.statusCode);
      if (response.statusCode === 429) limited.push(response);
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429]);
    for (const response of limited) {
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(response.json().code).toBe('RATE_LIMITED');
    }
  });

  it('serves a value one replica stored from the other, without calling the upstream', async () => {
    const [a, b] = await startReplicas();
    nock(UPSTREAM)
      .get('/getEvents')
      .once()
      .reply(200, [upstreamEvent(1, 1)]);
    await get(a, '/events');
    wallClock.advance(1_000);
    const fromB = await get(b, '/events');
    expect(fromB.statusCode).toBe(200);
    expect(fromB.headers['cache-status']).toBe('event-gateway; hit; ttl=4');
    expect(fromB.headers.age).toBe('1');
  });

  it('serves a stale copy from the replica that never read it, while the upstream fails', async () => {
    const [a, b] = await startReplicas();
    nock(UPSTREAM).get('/getUserById/2').reply(200, upstreamUser(2, []));
    await get(a, '/users/2');
    wallClock.advance(65_000);
    nock(UPSTREAM).get('/getUserById/2').times(2).reply(503);
    const response = await get(b, '/users/2');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-status']).toBe('event-gateway; hit; ttl=-60');
    expect(response.headers.age).toBe('65');
  });

  it("makes a create through one replica visible at once in the other's reads", async () => {
    const [a, b] = await startReplicas();
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1, []))
      .get('/getUsers')
      .reply(200, [upstreamUser(1, [])]);
    await get(b, '/users/1/events');
    await get(b, '/users');
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1, []))
      .post('/addEvent')
      .reply(200, { success: true });
    const created = await a.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'Standup', userId: '1' }),
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1, [id]))
      .get(`/getEventById/${id}`)
      .reply(200, { id, name: 'Standup', userId: 1 })
      .get('/getUsers')
      .reply(200, [upstreamUser(1, [id])]);
    const events = await get(b, '/users/1/events');
    expect(events.headers['cache-status']).toBe('event-gateway; fwd=miss; stored');
    expect(events.json()).toEqual([{ id, name: 'Standup', userId: '1' }]);
    expect((await get(b, '/users')).json()[0].events).toEqual([id]);
  });

  it('replays an Idempotency-Key on the other replica, with no second upstream call', async () => {
    const [a, b] = await startReplicas();
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1))
      .post('/addEvent')
      .once()
      .reply(200, { success: true });
    const post = (app: NestFastifyApplication) =>
      app.inject({
        method: 'POST',
        url: '/events',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'across-replicas' },
        payload: JSON.stringify({ name: 'Retro', userId: '1' }),
      });
    const first = await post(a);
    const replay = await post(b);
    expect(first.statusCode).toBe(201);
    expect(replay.statusCode).toBe(201);
    expect(replay.json()).toEqual(first.json());
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('keeps serving while Redis is killed, logs the outage once, and resumes by itself when it returns', async () => {
    const logs = new LogCapture();
    const [a, b] = await startReplicas({ RATE_LIMIT_MAX: '4', LOG_LEVEL: 'info' }, logs);
    nock(UPSTREAM)
      .get('/getUsers')
      .reply(200, [upstreamUser(1)]);
    await get(a, '/users'); // stored in Redis

    const down = redisUp(a, false);
    await redis.kill();
    await down;

    // Reads and creates still work, from the upstream.
    nock(UPSTREAM).get('/getEvents').times(2).reply(200, []);
    const read = await get(a, '/events');
    expect(read.statusCode).toBe(200);
    expect(read.headers['cache-status']).toBe('event-gateway; fwd=miss; detail=store-unavailable');
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1))
      .post('/addEvent')
      .reply(200, { success: true });
    const create = await a.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x', userId: '1' }),
    });
    expect(create.statusCode).toBe(201);
    // The limit falls back to each replica's own memory: b has its own budget of 4.
    expect((await get(b, '/events')).statusCode).toBe(200);
    // Readiness stays 200 and says Redis is away; liveness never looks at it.
    const ready = await get(a, '/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'degraded',
      details: { redis: { status: 'degraded' } },
    });
    expect((await get(a, '/health')).json()).not.toHaveProperty('details.redis');
    expect(sample((await get(a, '/metrics')).body, 'redis_up')).toBe(0);
    // Once per replica (both log into this capture), not once per request.
    expect(logs.matching(/^Redis unavailable/)).toHaveLength(2);

    const back = Promise.all([redisUp(a, true), redisUp(b, true)]);
    await redis.restart();
    await back;

    expect(logs.matching(/^Redis available again/)).toHaveLength(2);
    expect((await get(a, '/ready')).json()).toMatchObject({
      status: 'ok',
      details: { redis: { status: 'up' } },
    });
    // Shared again: stored by a, served by b.
    nock(UPSTREAM).get('/getUserById/3').once().reply(200, upstreamUser(3));
    expect((await get(a, '/users/3')).headers['cache-status']).toBe(
      'event-gateway; fwd=miss; stored',
    );
    expect((await get(b, '/users/3')).headers['cache-status']).toMatch(/^event-gateway; hit;/);
    // Every wait above is on an event (a log line, readiness); the reconnect backoff alone can be
    // 2 s, so Jest's 5 s default is a timing threshold a busy machine breaks: this is a safety net.
  }, 60_000);
});
