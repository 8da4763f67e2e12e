import { Answer } from '../common/answer';
import { notFound } from '../common/errors/api-error';
import { FakeClock } from '../testing/fake-clock';
import { testConfig } from '../testing/test-config';
import { UpstreamHttpError } from '../upstream/event-api.errors';
import { MemoryCacheStore, type CacheStore } from './cache-store';
import { ReadCache, ReadCacheEvents, type ReadCacheEvent } from './read-cache.service';

function setup() {
  const clock = new FakeClock(Date.now());
  const config = testConfig({ READ_CACHE_TTL_MS: '1000', READ_CACHE_STALE_IF_ERROR_MS: '60000' });
  const cache = new ReadCache(
    new MemoryCacheStore(100, () => clock.now()),
    new ReadCacheEvents(),
    clock,
    config,
  );
  return { cache, clock };
}

describe('ReadCache', () => {
  it('answers a fresh hit with its Cache-Status and Age headers, without loading', async () => {
    const { cache, clock } = setup();
    await cache.serve('k', () => Promise.resolve('v'));
    clock.advance(500);
    const load = jest.fn();
    const answer = await cache.serve('k', load);
    expect(answer).toEqual(
      new Answer('v', { 'cache-status': 'event-gateway; hit; ttl=1', age: '0' }),
    );
    expect(load).not.toHaveBeenCalled();
  });

  it('serves the stored copy when the upstream fails (the error says the source failed)', async () => {
    const { cache, clock } = setup();
    await cache.serve('k', () => Promise.resolve('v'));
    clock.advance(3000);
    const answer = await cache.serve('k', () => Promise.reject(new UpstreamHttpError(503)));
    expect(answer.body).toBe('v');
    expect(answer.headers['cache-status']).toBe('event-gateway; hit; ttl=-2');
  });

  it('passes a definite answer through (a 404 is no failure of the source)', async () => {
    const { cache, clock } = setup();
    await cache.serve('k', () => Promise.resolve('v'));
    clock.advance(3000);
    const gone = notFound('USER_NOT_FOUND', 'User "1" not found');
    await expect(cache.serve('k', () => Promise.reject(gone))).rejects.toBe(gone);
  });

  it('serves a value it may not store without storing it: the next read loads again', async () => {
    const { cache } = setup();
    const first = await cache.serve('k', () => Promise.resolve('part'), { storable: () => false });
    expect(first).toEqual(new Answer('part', { 'cache-status': 'event-gateway; fwd=miss' }));
    const load = jest.fn().mockResolvedValue('whole');
    const second = await cache.serve('k', load, { storable: (value) => value === 'whole' });
    expect(load).toHaveBeenCalledTimes(1);
    expect(second.headers['cache-status']).toBe('event-gateway; fwd=miss; stored');
  });

  describe('freshAnswer (the request pipeline, before the handler)', () => {
    it("gives serve's answer for a fresh entry, counted as a hit", async () => {
      const clock = new FakeClock(Date.now());
      const events = new ReadCacheEvents();
      const reads: ReadCacheEvent[] = [];
      events.on((event) => reads.push(event));
      const config = testConfig({ READ_CACHE_TTL_MS: '1000' });
      const cache = new ReadCache(
        new MemoryCacheStore(100, () => clock.now()),
        events,
        clock,
        config,
      );
      await cache.serve('k', () => Promise.resolve('v'));
      clock.advance(500);
      expect(cache.answersAtOnce).toBe(true);
      expect(cache.freshAnswer('k')).toEqual(await cache.serve('k', jest.fn()));
      expect(reads.filter((e) => e.kind === 'read' && e.outcome === 'hit')).toHaveLength(2);
    });

    it('gives nothing for a missing or no longer fresh entry: serve decides', async () => {
      const { cache, clock } = setup();
      expect(cache.freshAnswer('k')).toBeUndefined();
      await cache.serve('k', () => Promise.resolve('v'));
      clock.advance(1000);
      expect(cache.freshAnswer('k')).toBeUndefined();
    });

    it('gives nothing from a store that must be asked (Redis)', async () => {
      const clock = new FakeClock(Date.now());
      const memory = new MemoryCacheStore(100, () => clock.now());
      const asked: CacheStore = {
        get: (key) => memory.get(key),
        set: (key, entry, lifetimeMs) => memory.set(key, entry, lifetimeMs),
        delete: (keys) => memory.delete(keys),
      };
      const config = testConfig({ READ_CACHE_TTL_MS: '1000' });
      const cache = new ReadCache(asked, new ReadCacheEvents(), clock, config);
      expect(cache.answersAtOnce).toBe(false);
      await cache.serve('k', () => Promise.resolve('v'));
      expect(cache.freshAnswer('k')).toBeUndefined();
      expect((await cache.serve('k', jest.fn())).headers['cache-status']).toMatch(/; hit; /);
    });
  });

  describe('peek', () => {
    it('gives a held entry with its age, fresh or within stale-if-error, without loading', async () => {
      const { cache, clock } = setup();
      await cache.serve('k', () => Promise.resolve('v'));
      clock.advance(400);
      await expect(cache.peek('k')).resolves.toEqual({ value: 'v', ageMs: 400, fresh: true });
      clock.advance(30_000);
      await expect(cache.peek('k')).resolves.toEqual({ value: 'v', ageMs: 30_400, fresh: false });
    });

    it('gives nothing for a key never stored, or stored longer ago than both windows', async () => {
      const { cache, clock } = setup();
      await expect(cache.peek('k')).resolves.toBeUndefined();
      await cache.serve('k', () => Promise.resolve('v'));
      clock.advance(61_000);
      await expect(cache.peek('k')).resolves.toBeUndefined();
    });
  });
});
