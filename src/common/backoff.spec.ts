import { backoffMs } from './backoff';

describe('backoffMs', () => {
  const options = { baseMs: 10_000, maxMs: 60_000, jitterRatio: 0.1 };

  it('doubles per step up to the cap', () => {
    const noJitter = () => 0;
    expect([0, 1, 2, 3, 4, 50].map((n) => backoffMs(n, options, noJitter))).toEqual([
      10_000, 20_000, 40_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('stays within 90% to 100% of the step whatever the random draw', () => {
    for (const draw of [0, 0.25, 0.5, 0.75, 0.9999999]) {
      const wait = backoffMs(1, options, () => draw);
      expect(wait).toBeGreaterThanOrEqual(18_000);
      expect(wait).toBeLessThanOrEqual(20_000);
    }
  });
});

describe('backoffMs with half jitter (retries)', () => {
  it('waits 50% to 100% of the step', () => {
    const options = { baseMs: 1000, maxMs: 60_000, jitterRatio: 0.5 };
    expect(backoffMs(0, options, () => 0)).toBe(1000);
    expect(backoffMs(0, options, () => 0.9999999)).toBe(500);
    expect(backoffMs(3, options, () => 0)).toBe(8000);
  });
});
