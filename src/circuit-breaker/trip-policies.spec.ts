import { CountInWindowPolicy, FailureRatePolicy } from './trip-policies';

function record(
  policy: { record(outcome: 'success' | 'failure', now: number): boolean },
  outcomes: string,
) {
  // 'f' a failure, 's' a success, all at t=0; returns the verdict after each.
  return [...outcomes].map((o) => policy.record(o === 'f' ? 'failure' : 'success', 0));
}

describe('CountInWindowPolicy', () => {
  it('trips at the threshold, not before', () => {
    const policy = new CountInWindowPolicy(3, 30_000);
    expect(record(policy, 'sssffsf')).toEqual([false, false, false, false, false, false, true]);
  });

  it('forgets failures older than the window', () => {
    const policy = new CountInWindowPolicy(2, 1_000);
    policy.record('failure', 0);
    expect(policy.record('failure', 1_000)).toBe(false);
    expect(policy.counts(1_000)).toEqual({ calls: 1, failures: 1 });
  });

  it('rejects a threshold below 1', () => {
    expect(() => new CountInWindowPolicy(0, 1_000)).toThrow(RangeError);
  });
});

describe('FailureRatePolicy', () => {
  const policy = new FailureRatePolicy(0.5, 20, 10_000);

  it('needs the minimum volume', () => {
    const fresh = new FailureRatePolicy(0.5, 20, 10_000);
    expect(record(fresh, 'f'.repeat(19)).some(Boolean)).toBe(false);
  });

  it('trips at the rate once the volume is there', () => {
    expect(
      record(new FailureRatePolicy(0.5, 20, 10_000), 's'.repeat(10) + 'f'.repeat(10)).at(-1),
    ).toBe(true);
    expect(
      record(new FailureRatePolicy(0.5, 20, 10_000), 's'.repeat(11) + 'f'.repeat(9)).at(-1),
    ).toBe(false);
  });

  it('is judged after a success too', () => {
    expect(record(new FailureRatePolicy(0.5, 20, 10_000), 'f'.repeat(19) + 's').at(-1)).toBe(true);
  });

  it('compares the rate exactly at a tie', () => {
    expect(
      record(new FailureRatePolicy(0.55, 100, 10_000), 's'.repeat(45) + 'f'.repeat(55)).at(-1),
    ).toBe(true);
    expect(
      record(new FailureRatePolicy(0.28, 25, 10_000), 's'.repeat(18) + 'f'.repeat(7)).at(-1),
    ).toBe(true);
    expect(
      record(new FailureRatePolicy(0.28, 25, 10_000), 's'.repeat(19) + 'f'.repeat(6)).at(-1),
    ).toBe(false);
  });

  it('describes itself for snapshots', () => {
    expect(policy.describe()).toBe('50% of at least 20 calls within 10000 ms');
  });

  it('rejects a ratio outside (0, 1]', () => {
    expect(() => new FailureRatePolicy(0, 20, 1_000)).toThrow(RangeError);
    expect(() => new FailureRatePolicy(1.5, 20, 1_000)).toThrow(RangeError);
  });
});
