import { mapWithConcurrency } from './map-with-concurrency';
import { deferred } from '../testing/deferred';

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('mapWithConcurrency', () => {
  it('keeps at most `limit` calls in flight and returns results in input order', async () => {
    const tasks = Array.from({ length: 5 }, () => deferred<string>());
    let inFlight = 0;
    let peak = 0;
    const result = mapWithConcurrency([0, 1, 2, 3, 4], 2, async (i) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      try {
        return await tasks[i].promise;
      } finally {
        inFlight -= 1;
      }
    });
    await flush();
    expect(inFlight).toBe(2);
    // Finish out of order: results still come back in input order.
    for (const i of [1, 0, 3, 2, 4]) {
      tasks[i].resolve(`r${i}`);
      await flush();
    }
    await expect(result).resolves.toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(peak).toBe(2);
  });

  it('starts every item at once when the limit allows', async () => {
    let started = 0;
    const gate = deferred<void>();
    const result = mapWithConcurrency([1, 2, 3], 10, async () => {
      started += 1;
      await gate.promise;
    });
    await flush();
    expect(started).toBe(3);
    gate.resolve();
    await result;
  });

  it('rejects on the first failure and starts no further items', async () => {
    const started: number[] = [];
    const first = deferred<void>();
    const result = mapWithConcurrency([0, 1, 2, 3], 1, async (i) => {
      started.push(i);
      if (i === 0) await first.promise;
    });
    first.reject(new Error('boom'));
    await expect(result).rejects.toThrow('boom');
    expect(started).toEqual([0]);
  });

  it('returns an empty list for no items', async () => {
    await expect(mapWithConcurrency([], 3, () => Promise.resolve(1))).resolves.toEqual([]);
  });

  it('rejects a limit below 1', async () => {
    await expect(mapWithConcurrency([1], 0, () => Promise.resolve(1))).rejects.toThrow(RangeError);
  });
});
