import { CircuitState } from '../circuit-breaker';
import { FakeClock } from '../testing/fake-clock';
import { strictMock } from '../testing/strict-mock';
import { testConfig } from '../testing/test-config';
import type { EventGateway } from '../upstream/event-gateway';
import {
  UpstreamCircuitOpenError,
  UpstreamHttpError,
  UpstreamTimeoutError,
} from '../upstream/event-api.errors';
import type { Event } from '../upstream/event-api.models';
import { MemoryCacheStore } from '../read-cache/cache-store';
import { CacheKeys, ReadCache, ReadCacheEvents } from '../read-cache/read-cache.service';
import { gapHeaders, MAX_GAP_LIST_BYTES, PartialUserEvents } from './partial-user-events';
import { UsersService } from './users.service';

const config = testConfig({
  UPSTREAM_MAX_CONCURRENCY: '2',
  READ_CACHE_TTL_MS: '5000',
  READ_CACHE_STALE_IF_ERROR_MS: '60000',
});

const event = (id: string, name = `E${id}`): Event => ({ id, name, userId: '1' });

/**
 * The service over a real read cache in memory (aged by a fake clock) and a stubbed upstream:
 * `events` lists the user's ids, `answers` what each fetch gives (an event, `null` for unknown,
 * or an error).
 */
function setup(events: string[], answers: Record<string, Event | null | Error>) {
  const clock = new FakeClock(Date.now());
  const cache = new ReadCache(
    new MemoryCacheStore(100, () => clock.now()),
    new ReadCacheEvents(),
    clock,
    config,
  );
  const eventApi = strictMock<EventGateway>({
    getUserById: jest.fn().mockResolvedValue({ id: '1', name: 'Ada', events }),
    getEventById: jest.fn((id: string) => {
      const answer = answers[id];
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    }),
  });
  const service = new PartialUserEvents(new UsersService(eventApi, config), cache, config);
  return { service, cache, clock, eventApi };
}

describe('PartialUserEvents', () => {
  it('answers the events it has in the user’s order and names the missing ones with their codes', async () => {
    const { service } = setup(['3', '7', '1', '9', '7', '4'], {
      '3': event('3'),
      '7': new UpstreamTimeoutError(1000),
      '1': event('1'),
      '9': UpstreamCircuitOpenError.of('event-api.read', CircuitState.Open, 5000),
      '4': null,
    });
    const answer = await service.serve('1');
    expect(answer.body).toEqual([event('3'), event('1')]);
    expect(answer.headers).toEqual({
      'cache-status': 'event-gateway; fwd=miss',
      'preference-applied': 'handling=lenient',
      vary: 'Prefer',
      'events-missing': '"7";code=UPSTREAM_TIMEOUT, "9";code=CIRCUIT_OPEN',
    });
  });

  it('fills a hole with the event’s own cached copy, in place, marked stale with its age', async () => {
    const { service, cache, clock } = setup(['1', '2', '3'], {
      '1': event('1'),
      '2': new UpstreamHttpError(503),
      '3': event('3'),
    });
    await cache.serve(CacheKeys.event('2'), () => Promise.resolve(event('2', 'old')));
    clock.advance(12_400);
    const answer = await service.serve('1');
    expect(answer.body).toEqual([event('1'), event('2', 'old'), event('3')]);
    expect(answer.headers['events-stale']).toBe('"2";code=UPSTREAM_BAD_STATUS;age=12');
    expect(answer.headers['events-missing']).toBeUndefined();
  });

  it('fills a hole from the user’s cached list when it is the younger copy', async () => {
    const { service, cache, clock } = setup(['1', '2'], {
      '1': event('1'),
      '2': new UpstreamTimeoutError(1000),
    });
    await cache.serve(CacheKeys.event('2'), () => Promise.resolve(event('2', 'older')));
    clock.advance(10_000);
    await cache.serve(CacheKeys.userEvents('1'), () =>
      Promise.resolve([event('1'), event('2', 'younger')]),
    );
    clock.advance(7_000);
    const answer = await service.serve('1');
    expect(answer.body).toEqual([event('1'), event('2', 'younger')]);
    expect(answer.headers['events-stale']).toBe('"2";code=UPSTREAM_TIMEOUT;age=7');
  });

  it('leaves a hole whose copy is older than the fresh and stale windows together', async () => {
    const { service, cache, clock } = setup(['1', '2'], {
      '1': event('1'),
      '2': new UpstreamHttpError(502),
    });
    await cache.serve(CacheKeys.event('2'), () => Promise.resolve(event('2')));
    clock.advance(65_000);
    const answer = await service.serve('1');
    expect(answer.body).toEqual([event('1')]);
    expect(answer.headers['events-missing']).toBe('"2";code=UPSTREAM_BAD_STATUS');
  });

  it('never stores a partial answer: the next read asks the upstream again', async () => {
    const { service, cache, eventApi } = setup(['1', '2'], {
      '1': event('1'),
      '2': new UpstreamHttpError(503),
    });
    await service.serve('1');
    await expect(cache.peek(CacheKeys.userEvents('1'))).resolves.toBeUndefined();
    await service.serve('1');
    expect(eventApi.getUserById).toHaveBeenCalledTimes(2);
  });

  it('stores a complete answer, which then serves lenient and strict reads alike', async () => {
    const { service, cache, eventApi } = setup(['1', '2'], { '1': event('1'), '2': event('2') });
    const first = await service.serve('1');
    expect(first.headers).toEqual({
      'cache-status': 'event-gateway; fwd=miss; stored',
      'preference-applied': 'handling=lenient',
      vary: 'Prefer',
    });
    const second = await service.serve('1');
    expect(second.body).toEqual([event('1'), event('2')]);
    expect(second.headers['cache-status']).toBe('event-gateway; hit; ttl=5');
    const strict = await cache.serve(CacheKeys.userEvents('1'), () => Promise.reject(new Error()));
    expect(strict.body).toEqual([event('1'), event('2')]);
    expect(eventApi.getUserById).toHaveBeenCalledTimes(1);
  });

  it('answers the first failure when no event can be shown at all', async () => {
    const first = new UpstreamTimeoutError(1000);
    const { service } = setup(['5', '6', '7'], {
      '5': null,
      '6': first,
      '7': new UpstreamHttpError(503),
    });
    await expect(service.serve('1')).rejects.toBe(first);
  });

  it('answers 200 when every fetch failed but copies are held, all of them stale', async () => {
    const { service, cache } = setup(['1', '2'], {
      '1': new UpstreamHttpError(503),
      '2': new UpstreamHttpError(503),
    });
    await cache.serve(CacheKeys.event('1'), () => Promise.resolve(event('1')));
    const answer = await service.serve('1');
    expect(answer.body).toEqual([event('1')]);
    expect(answer.headers['events-stale']).toBe('"1";code=UPSTREAM_BAD_STATUS;age=0');
    expect(answer.headers['events-missing']).toBe('"2";code=UPSTREAM_BAD_STATUS');
  });

  it('serves the stale complete list (stale-if-error) when the user itself cannot be fetched', async () => {
    const { service, cache, clock, eventApi } = setup([], {});
    await cache.serve(CacheKeys.userEvents('1'), () => Promise.resolve([event('1')]));
    clock.advance(8_000);
    eventApi.getUserById.mockRejectedValueOnce(new UpstreamHttpError(503));
    const answer = await service.serve('1');
    expect(answer.body).toEqual([event('1')]);
    expect(answer.headers).toEqual({
      'cache-status': 'event-gateway; hit; ttl=-3',
      age: '8',
      'preference-applied': 'handling=lenient',
      vary: 'Prefer',
    });
  });

  it('writes the gap headers as RFC 8941 lists', () => {
    expect(
      gapHeaders({
        missing: [
          { id: 'a-1', code: 'UPSTREAM_UNREACHABLE' },
          { id: 'b_2', code: 'UPSTREAM_MALFORMED_RESPONSE' },
        ],
        stale: [{ id: '3', code: 'CIRCUIT_OPEN', ageSeconds: 0 }],
      }),
    ).toEqual({
      'events-missing': '"a-1";code=UPSTREAM_UNREACHABLE, "b_2";code=UPSTREAM_MALFORMED_RESPONSE',
      'events-stale': '"3";code=CIRCUIT_OPEN;age=0',
    });
    expect(gapHeaders({ missing: [], stale: [] })).toEqual({});
  });

  it('cuts a list past 4096 bytes short, first ids first, and says how many there are in all', () => {
    const missing = Array.from({ length: 500 }, (_, i) => ({
      id: `event-${i}`,
      code: 'UPSTREAM_TIMEOUT' as const,
    }));
    const headers = gapHeaders({
      missing,
      stale: [{ id: '3', code: 'CIRCUIT_OPEN', ageSeconds: 1 }],
    });
    const list = headers['events-missing'];
    expect(list.length).toBeLessThanOrEqual(MAX_GAP_LIST_BYTES);
    const named = list.split(', ');
    expect(named[0]).toBe('"event-0";code=UPSTREAM_TIMEOUT');
    expect(named.at(-1)).toBe(`"event-${named.length - 1}";code=UPSTREAM_TIMEOUT`);
    expect(named.length).toBeGreaterThan(100);
    expect(named.length).toBeLessThan(500);
    expect(headers['events-missing-count']).toBe('500');
    // A list that fits has no count.
    expect(headers['events-stale']).toBe('"3";code=CIRCUIT_OPEN;age=1');
    expect(headers['events-stale-count']).toBeUndefined();
  });
});
