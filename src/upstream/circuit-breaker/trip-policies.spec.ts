import { openWaitMs } from './backoff';
import { CountInWindowPolicy, FailureRatePolicy } from './trip-policies';

describe('CountInWindowPolicy', () => {
  it('trips at the threshold, not before', () => {
    const policy = new CountInWindowPolicy(3, 30_000);
    expect(policy.shouldTrip({ calls: 100, failures: 2 })).toBe(false);
    expect(policy.shouldTrip({ calls: 3, failures: 3 })).toBe(true);
  });

  it('rejects a threshold below 1', () => {
    expect(() => new CountInWindowPolicy(0, 1_000)).toThrow(RangeError);
  });
});

describe('FailureRatePolicy', () => {
  const policy = new FailureRatePolicy(0.5, 20, 10_000);

  it('needs the minimum volume', () => {
    expect(policy.shouldTrip({ calls: 19, failures: 19 })).toBe(false);
  });

  it('trips at the rate once the volume is there', () => {
    expect(policy.shouldTrip({ calls: 20, failures: 10 })).toBe(true);
    expect(policy.shouldTrip({ calls: 20, failures: 9 })).toBe(false);
  });

  it('describes itself for snapshots', () => {
    expect(policy.describe()).toBe('50% of at least 20 calls within 10000 ms');
  });

  it('rejects a ratio outside (0, 1]', () => {
    expect(() => new FailureRatePolicy(0, 20, 1_000)).toThrow(RangeError);
    expect(() => new FailureRatePolicy(1.5, 20, 1_000)).toThrow(RangeError);
  });
});

describe('openWaitMs', () => {
  const options = { baseMs: 10_000, maxMs: 60_000, jitterRatio: 0.1 };

  it('doubles per failed probe up to the cap', () => {
    const noJitter = () => 0;
    expect([0, 1, 2, 3, 4, 50].map((n) => openWaitMs(n, options, noJitter))).toEqual([
      10_000, 20_000, 40_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('stays within 90% to 100% of the step whatever the random draw', () => {
    for (const draw of [0, 0.25, 0.5, 0.75, 0.9999999]) {
      const wait = openWaitMs(1, options, () => draw);
      expect(wait).toBeGreaterThanOrEqual(18_000);
      expect(wait).toBeLessThanOrEqual(20_000);
    }
  });
});
