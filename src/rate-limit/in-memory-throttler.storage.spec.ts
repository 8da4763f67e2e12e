import { FakeClock } from '../testing/fake-clock';
import { InMemoryThrottlerStorage } from './in-memory-throttler.storage';

const TTL = 60_000;

/** Counts every value reachable from `root` through objects, arrays and maps (the state it holds). */
function reachableValues(root: unknown, seen = new Set<unknown>()): number {
  if (typeof root !== 'object' || root === null || seen.has(root)) return 1;
  seen.add(root);
  const children = root instanceof Map ? [...root.keys(), ...root.values()] : Object.values(root);
  return children.reduce<number>((sum, child) => sum + reachableValues(child, seen), 1);
}

function setup() {
  const clock = new FakeClock(0);
  const storage = new InMemoryThrottlerStorage(clock);
  const hit = (key = 'default:1.2.3.4', limit = 3) =>
    storage.increment(key, TTL, limit, TTL, 'default');
  return { clock, storage, hit };
}

describe('InMemoryThrottlerStorage', () => {
  it('counts hits in a window and blocks past the limit, with the time to wait', async () => {
    const { clock, hit } = setup();
    for (let i = 1; i <= 3; i += 1) {
      expect(await hit()).toEqual({
        totalHits: i,
        timeToExpire: 60,
        isBlocked: false,
        timeToBlockExpire: 0,
      });
    }
    clock.advance(1_500);
    expect(await hit()).toEqual({
      totalHits: 4,
      timeToExpire: 59,
      isBlocked: true,
      timeToBlockExpire: 60,
    });
  });

  it('does not count requests refused while blocked, and lets the client in once the block ends', async () => {
    const { clock, hit } = setup();
    for (let i = 0; i < 4; i += 1) await hit();
    clock.advance(30_000);
    expect(await hit()).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 30 });
    clock.advance(30_000);
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('starts a new window once the old one has ended', async () => {
    const { clock, hit } = setup();
    await hit();
    await hit();
    clock.advance(TTL);
    expect(await hit()).toMatchObject({ totalHits: 1, timeToExpire: 60 });
  });

  it('keeps one budget per key', async () => {
    const { hit } = setup();
    for (let i = 0; i < 3; i += 1) await hit('default:a');
    expect(await hit('default:b')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await hit('default:a')).toMatchObject({ isBlocked: true });
  });

  it('holds one entry for one key over 100,000 hits: memory does not grow with traffic', async () => {
    const { clock, storage } = setup();
    for (let i = 0; i < 100_000; i += 1) {
      await storage.increment('default:hot', TTL, 1_000_000, TTL, 'default');
      clock.advance(1); // 100 s of traffic: several windows and rotations
    }
    expect(storage.size).toBe(1);
    const last = await storage.increment('default:hot', TTL, 1_000_000, TTL, 'default');
    // 100,001 hits spread over 100 s: the current window holds only its own.
    expect(last.totalHits).toBeLessThanOrEqual(60_001);
  });

  it('keeps the same state for a key after 10 hits as after 100,000', async () => {
    const stateAfter = async (hits: number) => {
      const storage = new InMemoryThrottlerStorage(new FakeClock(0));
      for (let i = 0; i < hits; i += 1) {
        await storage.increment('default:hot', TTL, 1e9, TTL, 'default');
      }
      return reachableValues(storage);
    };
    expect(await stateAfter(100_000)).toBe(await stateAfter(10));
  });

  it('drops keys that have been idle for two periods, so many one-off clients do not accumulate', async () => {
    const { clock, storage } = setup();
    for (let i = 0; i < 10_000; i += 1) {
      await storage.increment(`default:client-${i}`, TTL, 10, TTL, 'default');
      clock.advance(100); // 1,000 s in all
    }
    // Only clients seen in the last two periods (2 × 60 s = 1,200 clients at one per 100 ms) remain.
    expect(storage.size).toBeLessThanOrEqual(1_200);
    expect(storage.size).toBeGreaterThan(0);
  });

  it('forgets everything after two idle periods', async () => {
    const { clock, storage, hit } = setup();
    await hit('default:a');
    clock.advance(2 * TTL);
    await hit('default:b');
    expect(storage.size).toBe(1);
  });
});
