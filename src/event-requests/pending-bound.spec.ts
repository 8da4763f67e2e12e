import { FakeClock } from '../testing/fake-clock';
import { DEPTH_READ_TTL_MS, PendingBound } from './pending-bound';

describe('PendingBound', () => {
  let clock: FakeClock;
  let depth: number;
  let reads: number;
  const bound = (max: number) =>
    new PendingBound(
      max,
      () => ((reads += 1), Promise.resolve(depth)),
      () => clock.now(),
    );

  beforeEach(() => {
    clock = new FakeClock();
    depth = 0;
    reads = 0;
  });

  it('admits up to the bound on one read, counting its own admissions, then refuses', async () => {
    const pending = bound(3);
    depth = 1;
    expect([await pending.admit(), await pending.admit(), await pending.admit()]).toEqual([
      true,
      true,
      false,
    ]);
    expect(reads).toBe(1);
  });

  it('reads the depth again once the reading is DEPTH_READ_TTL_MS old, and only then', async () => {
    const pending = bound(2);
    depth = 2;
    expect(await pending.admit()).toBe(false);
    depth = 0; // the queue drained
    clock.advance(DEPTH_READ_TTL_MS - 1);
    expect(await pending.admit()).toBe(false);
    clock.advance(1);
    expect(await pending.admit()).toBe(true);
    expect(reads).toBe(2);
  });

  it('shares one read among concurrent creates, and admits exactly up to the bound', async () => {
    const pending = bound(5);
    depth = 2;
    const admitted = await Promise.all(Array.from({ length: 10 }, () => pending.admit()));
    expect(admitted.filter(Boolean)).toHaveLength(3);
    expect(reads).toBe(1);
  });

  it('counts an add still under way during a read on top of it (it may not be in the count yet)', async () => {
    const pending = bound(3);
    expect(await pending.admit()).toBe(true); // its add has not settled
    clock.advance(DEPTH_READ_TTL_MS);
    depth = 1; // whether or not that add is in it
    expect(await pending.admit()).toBe(true); // 1 read + 1 under way + this one = 3
    expect(await pending.admit()).toBe(false);
  });

  it('forgets settled adds at the next read (the depth counts them)', async () => {
    const pending = bound(2);
    expect(await pending.admit()).toBe(true);
    pending.settled();
    expect(await pending.admit()).toBe(true);
    pending.settled();
    expect(await pending.admit()).toBe(false);
    clock.advance(DEPTH_READ_TTL_MS);
    depth = 1; // one of them was delivered meanwhile
    expect(await pending.admit()).toBe(true);
  });

  it('rejects, admitting nothing, when the depth cannot be read; the next create reads again', async () => {
    let fail = true;
    const pending = new PendingBound(
      1,
      () => (fail ? Promise.reject(new Error('Redis is away')) : Promise.resolve(0)),
      () => clock.now(),
    );
    await expect(pending.admit()).rejects.toThrow('Redis is away');
    fail = false;
    expect(await pending.admit()).toBe(true);
    expect(await pending.admit()).toBe(false);
  });
});
