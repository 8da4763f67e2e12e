import { getQueueToken } from '@nestjs/bullmq';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import nock from 'nock';
import { setTimeout as tick } from 'node:timers/promises';
import { EVENT_DELIVERY_QUEUE } from '../src/event-requests/event-request.model';
import type { RedisConnection } from '../src/redis/redis-connection';
import { REDIS } from '../src/redis/redis.module';
import { guardUpstream, UPSTREAM, upstreamUser } from '../src/testing/nock-upstream';
import { startRedis, type RedisServer } from './support/redis-server';
import { useTestApp } from './support/test-app';

const upstream = guardUpstream();
const BODY = { name: 'During a blip', userId: '1' };

/**
 * Resolves once the gateway sends commands to Redis again (its cool-down after a failed command
 * has passed). A condition, checked as time passes: the cool-down is real time.
 */
async function untilRedisAvailable(app: NestFastifyApplication): Promise<void> {
  const redis = app.get<RedisConnection>(REDIS);
  while (!redis.available) await tick(20);
}

describe('creates across a Redis blip (e2e, real Redis stalled with SIGSTOP)', () => {
  const gateway = useTestApp();
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());
  beforeEach(async () => {
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
  });
  afterEach(() => {
    redis.resume();
    upstream.assertNoUnmatchedRequests();
  });

  const create = (app: NestFastifyApplication, headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify(BODY),
    });

  it('recognises a key used while Redis was stalled when it is retried after Redis is back: stored once', async () => {
    const app = await gateway.start({ REDIS_URL: redis.url, EVENT_DELIVERY_WORKER: 'false' });
    const sent: string[] = [];
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1))
      .post('/addEvent', (body: { id: string }) => (sent.push(body.id), true))
      .reply(200, { success: true });

    redis.pause();
    const first = await create(app, { 'idempotency-key': 'blip-1' });
    expect(first.statusCode).toBe(201);
    redis.resume();
    await untilRedisAvailable(app);

    const retry = await create(app, { 'idempotency-key': 'blip-1' });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().id).toBe(first.json().id);
    expect(sent).toEqual([first.json().id]);
  });

  it('remembers the outcome of a key claimed in Redis whose settling failed (Redis stalled meanwhile)', async () => {
    const app = await gateway.start({ REDIS_URL: redis.url, EVENT_DELIVERY_WORKER: 'false' });
    const sent: string[] = [];
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1))
      .post('/addEvent', (body: { id: string }) => {
        sent.push(body.id);
        redis.pause(); // the key's outcome cannot be written to Redis
        return true;
      })
      .reply(200, { success: true });

    const first = await create(app, { 'idempotency-key': 'blip-2' });
    expect(first.statusCode).toBe(201);
    redis.resume();
    await untilRedisAvailable(app);

    const retry = await create(app, { 'idempotency-key': 'blip-2' });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(sent).toEqual([first.json().id]);
  });

  it('answers ACCEPTANCE_UNKNOWN, not "not done", when queueing timed out, and the create may be queued', async () => {
    const app = await gateway.start({
      REDIS_URL: redis.url,
      EVENT_DELIVERY_WORKER: 'false',
      REDIS_QUEUE_TIMEOUT_MS: '300',
    });
    const queue = app.get<Queue>(getQueueToken(EVENT_DELIVERY_QUEUE));
    // Redis stalls just as the create is queued (the checks before it have passed).
    const add = queue.add.bind(queue);
    jest.spyOn(queue, 'add').mockImplementationOnce((...args) => {
      redis.pause();
      return add(...args);
    });
    const answer = await create(app, { prefer: 'respond-async' });
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('2');
    expect(answer.json()).toMatchObject({ code: 'ACCEPTANCE_UNKNOWN' });
    redis.resume();
    // It was indeed queued once Redis went on: the answer could not have said "not done".
    await queue.waitUntilReady();
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });
});
