import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { EVENT_DELIVERY_QUEUE } from '../src/event-requests/event-request.model';
import { guardUpstream } from '../src/testing/nock-upstream';
import { startRedisProxy } from './support/redis-proxy';
import { startRedis, type RedisServer } from './support/redis-server';
import { useTestApp } from './support/test-app';

const upstream = guardUpstream();

describe('the create queue at start-up (e2e, real Redis behind a proxy that answers late)', () => {
  const gateway = useTestApp();
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());
  afterEach(() => upstream.assertNoUnmatchedRequests());

  it('stays usable when BullMQ’s start-up check is answered after the request-path command timeout', async () => {
    // The answer to a connection's second INFO (the first is ioredis's ready check; the second is
    // BullMQ's version check at start-up) comes 1.5 s late: far past REDIS_COMMAND_TIMEOUT_MS.
    const proxy = await startRedisProxy(redis, { lateInfo: 2, delayMs: 1500 });
    try {
      const app = await gateway.start({
        REDIS_URL: proxy.url,
        REDIS_COMMAND_TIMEOUT_MS: '250',
        EVENT_DELIVERY_WORKER: 'false',
      });
      const queue = app.get<Queue>(getQueueToken(EVENT_DELIVERY_QUEUE));
      // Waits for the queue's own start-up, whatever it ends in (an event, not a sleep).
      await queue.waitUntilReady().catch(() => undefined);
      expect(proxy.delayed).toBeGreaterThan(0); // the late answer did happen
      const accepted = await app.inject({
        method: 'POST',
        url: '/events',
        headers: { 'content-type': 'application/json', prefer: 'respond-async' },
        payload: JSON.stringify({ name: 'After a slow start', userId: '1' }),
      });
      expect(accepted.statusCode).toBe(202);
      const ready = (await app.inject({ method: 'GET', url: '/ready' })).json();
      expect(ready.details.eventDeliveries.status).toBe('up');
    } finally {
      await proxy.close();
    }
  }, 30_000); // a hang guard: start-up and the held answer take seconds on a busy machine
});
