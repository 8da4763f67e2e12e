import { Redis } from 'ioredis';
import { guardUpstream } from '../src/testing/nock-upstream';
import { startRedis, type RedisServer } from './support/redis-server';
import { flushIo, useTestApp } from './support/test-app';

const upstream = guardUpstream();
const TOKEN = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';

describe('GET /metrics: who may scrape it, and what a scrape costs (e2e)', () => {
  const gateway = useTestApp();
  afterEach(() => upstream.assertNoUnmatchedRequests());

  it('with METRICS_TOKEN, answers only a scrape that sends it (401 otherwise)', async () => {
    const app = await gateway.start({ METRICS_TOKEN: TOKEN });
    const scrape = (authorization?: string) =>
      app.inject({
        method: 'GET',
        url: '/metrics',
        headers: authorization ? { authorization } : {},
      });
    const none = await scrape();
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(none.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    const wrong = await scrape(`Bearer ${'0'.repeat(40)}`);
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).not.toContain('0'.repeat(40));
    const right = await scrape(`Bearer ${TOKEN}`);
    expect(right.statusCode).toBe(200);
    expect(right.body).toContain('http_request_duration_seconds');
  });

  it('without METRICS_TOKEN, stays open (the default)', async () => {
    const app = await gateway.start();
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  describe('with REDIS_URL', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(() => redis.stop());

    it('costs Redis nothing per scrape: 50 scrapes send fewer commands than one each', async () => {
      const app = await gateway.start({ REDIS_URL: redis.url, EVENT_DELIVERY_WORKER: 'false' });
      await app.inject({ method: 'GET', url: '/metrics' }); // the first read
      const observer = new Redis(redis.url);
      try {
        // Every command Redis ran, those inside scripts and transactions included, but INFO (the
        // observer's own).
        const processed = async () => {
          let calls = 0;
          for (const [, command, count] of (await observer.info('commandstats')).matchAll(
            /^cmdstat_(\w+):calls=(\d+)/gm,
          )) {
            if (command !== 'info') calls += Number(count);
          }
          return calls;
        };
        const before = await processed();
        for (let i = 0; i < 50; i += 1) {
          expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
          await flushIo(); // scrapes come apart, not all in one turn of the event loop
        }
        expect((await processed()) - before).toBeLessThan(50);
      } finally {
        observer.disconnect();
      }
    });
  });
});
