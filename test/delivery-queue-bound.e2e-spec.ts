import { getQueueToken } from '@nestjs/bullmq';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import nock from 'nock';
import { EVENT_DELIVERY_QUEUE } from '../src/event-requests/event-request.model';
import { DEPTH_READ_TTL_MS } from '../src/event-requests/pending-bound';
import { guardUpstream, UPSTREAM, upstreamUser } from '../src/testing/nock-upstream';
import { sample } from './support/metrics';
import { useEmptyRedis } from './support/redis-server';
import { useTestApp } from './support/test-app';

const upstream = guardUpstream();

describe('EVENT_DELIVERY_MAX_PENDING: the bound of the queue of accepted creates (e2e, real Redis)', () => {
  const gateway = useTestApp();
  const redis = useEmptyRedis();
  afterEach(() => upstream.assertNoUnmatchedRequests());

  /** The worker is off: accepted creates stay pending, so the queue fills. */
  const start = (maxPending: number) =>
    gateway.start({
      REDIS_URL: redis.url,
      EVENT_DELIVERY_WORKER: 'false',
      EVENT_DELIVERY_MAX_PENDING: String(maxPending),
    });
  const postAsync = (app: NestFastifyApplication, name: string, headers = {}) =>
    app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json', prefer: 'respond-async', ...headers },
      payload: JSON.stringify({ name, userId: '1' }),
    });
  const queueOf = (app: NestFastifyApplication) =>
    app.get<Queue>(getQueueToken(EVENT_DELIVERY_QUEUE));
  /** Every job the queue holds, in any state. */
  const jobs = async (app: NestFastifyApplication) =>
    Object.values(await queueOf(app).getJobCounts()).reduce((sum, count) => sum + count, 0);

  it('refuses an async create at the bound with 503 DELIVERY_QUEUE_FULL and Retry-After, storing nothing', async () => {
    const app = await start(3);
    for (const name of ['One', 'Two', 'Three']) {
      expect((await postAsync(app, name)).statusCode).toBe(202);
    }
    const refused = await postAsync(app, 'Four', { 'idempotency-key': 'full-1' });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json()).toMatchObject({
      statusCode: 503,
      code: 'DELIVERY_QUEUE_FULL',
      message: expect.stringContaining('(3 pending)'),
    });
    expect(await jobs(app)).toBe(3);
    // Without a key too.
    const unkeyed = await postAsync(app, 'Five');
    expect(unkeyed.statusCode).toBe(503);
    expect(unkeyed.json().code).toBe('DELIVERY_QUEUE_FULL');
    expect(await jobs(app)).toBe(3);
  });

  it('leaves the Idempotency-Key usable: refused again while full (not a replay), accepted once there is room, then replayed', async () => {
    const app = await start(2);
    const first = await postAsync(app, 'One');
    expect((await postAsync(app, 'Two')).statusCode).toBe(202);
    const headers = { 'idempotency-key': 'full-2' };
    expect((await postAsync(app, 'Keyed', headers)).statusCode).toBe(503);
    const again = await postAsync(app, 'Keyed', headers);
    expect(again.statusCode).toBe(503);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(again.json().code).toBe('DELIVERY_QUEUE_FULL');

    // Room: one create leaves the queue; the gateway sees it at its next read of the depth.
    await queueOf(app).remove(first.json().id);
    gateway.clock.advance(DEPTH_READ_TTL_MS);
    const accepted = await postAsync(app, 'Keyed', headers);
    expect(accepted.statusCode).toBe(202);
    expect(accepted.headers['idempotent-replayed']).toBeUndefined();
    expect(await jobs(app)).toBe(2);
    const replayed = await postAsync(app, 'Keyed', headers);
    expect(replayed.statusCode).toBe(202);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.json().id).toBe(accepted.json().id);
    expect(await jobs(app)).toBe(2);
  });

  it('does not refuse a create made now (no respond-async): only the queue is full', async () => {
    const app = await start(1);
    expect((await postAsync(app, 'One')).statusCode).toBe(202);
    expect((await postAsync(app, 'Two')).statusCode).toBe(503);
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1))
      .post('/addEvent')
      .reply(200, { success: true });
    const now = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'Now', userId: '1' }),
    });
    expect(now.statusCode).toBe(201);
  });

  it('leaves the key as "not done": the same key sent without respond-async is created with no look-up first', async () => {
    const app = await start(1);
    expect((await postAsync(app, 'One')).statusCode).toBe(202);
    const headers = { 'idempotency-key': 'full-3' };
    expect((await postAsync(app, 'Keyed', headers)).statusCode).toBe(503);
    // A key left "maybe done" would make this create ask the upstream for its event first
    // (GET /getEventById), which the stub does not allow.
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1))
      .post('/addEvent')
      .reply(200, { success: true });
    const now = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify({ name: 'Keyed', userId: '1' }),
    });
    expect(now.statusCode).toBe(201);
  });

  it('shows the depth against the bound in readiness and metrics', async () => {
    const app = await start(5);
    for (const name of ['One', 'Two']) {
      expect((await postAsync(app, name)).statusCode).toBe(202);
    }
    const ready = await app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().details.eventDeliveries).toMatchObject({
      status: 'up',
      waiting: 2,
      pending: 2,
      maxPending: 5,
    });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(metrics, 'event_delivery_pending')).toBe(2);
    expect(sample(metrics, 'event_delivery_max_pending')).toBe(5);
  });

  it('keeps readiness up when the queue is full: a full queue is not a broken pod', async () => {
    const app = await start(1);
    expect((await postAsync(app, 'One')).statusCode).toBe(202);
    const ready = await app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().details.eventDeliveries).toMatchObject({ pending: 1, maxPending: 1 });
  });
});
