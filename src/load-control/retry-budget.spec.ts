import { FakeClock } from '../testing/fake-clock';
import { RetryBudget } from './retry-budget';

describe('RetryBudget', () => {
  let clock: FakeClock;
  beforeEach(() => (clock = new FakeClock()));

  const budget = (ratio: number, minPerSecond: number, windowMs = 10_000) =>
    new RetryBudget({ ratio, minPerSecond, windowMs, clock });

  const withdrawUntilRefused = (retryBudget: RetryBudget): number => {
    let granted = 0;
    while (retryBudget.tryWithdraw()) granted += 1;
    return granted;
  };

  it('allows ratio × first attempts in the window, and refuses the next one', () => {
    const retries = budget(0.1, 0);
    for (let i = 0; i < 100; i += 1) retries.deposit();
    expect(withdrawUntilRefused(retries)).toBe(10);
    expect(retries.tryWithdraw()).toBe(false);
    expect(retries.snapshot()).toEqual({ deposits: 100, withdrawals: 10, available: 0 });
  });

  it('adds a floor of minPerSecond × window seconds, with no first attempt at all', () => {
    const retries = budget(0.1, 5, 10_000);
    expect(withdrawUntilRefused(retries)).toBe(50);
    for (let i = 0; i < 100; i += 1) retries.deposit();
    expect(withdrawUntilRefused(retries)).toBe(10);
  });

  it('earns a whole extra attempt only per 1 / ratio first attempts', () => {
    const retries = budget(0.1, 0);
    for (let i = 0; i < 19; i += 1) retries.deposit();
    expect(withdrawUntilRefused(retries)).toBe(1);
    retries.deposit();
    expect(withdrawUntilRefused(retries)).toBe(1);
  });

  it('keeps extra attempts within the share however many are asked for (an outage)', () => {
    const retries = budget(0.1, 1, 10_000);
    let firsts = 0;
    let extras = 0;
    // 20 seconds of 100 failing reads a second, each asking for an extra attempt.
    for (let ms = 0; ms < 20_000; ms += 10) {
      clock.advance(10);
      retries.deposit();
      firsts += 1;
      if (retries.tryWithdraw()) extras += 1;
    }
    // At most 10% of the first attempts plus the floor (10 per window, two windows).
    expect(extras).toBeLessThanOrEqual(firsts * 0.1 + 20);
    expect(extras).toBeGreaterThanOrEqual(firsts * 0.1);
  });

  it('refills as first and extra attempts leave the window', () => {
    const retries = budget(0.5, 0, 1000);
    for (let i = 0; i < 4; i += 1) retries.deposit();
    expect(withdrawUntilRefused(retries)).toBe(2);
    clock.advance(999);
    expect(retries.tryWithdraw()).toBe(false);
    clock.advance(1);
    // Both deposits and withdrawals have left: nothing earned, nothing spent.
    expect(retries.snapshot()).toEqual({ deposits: 0, withdrawals: 0, available: 0 });
    for (let i = 0; i < 2; i += 1) retries.deposit();
    expect(withdrawUntilRefused(retries)).toBe(1);
  });

  it('slides in steps of a tenth of the window', () => {
    const retries = budget(1, 0, 1000);
    retries.deposit();
    clock.advance(500);
    retries.deposit();
    expect(retries.tryWithdraw()).toBe(true);
    clock.advance(500);
    // The first deposit has left; the second and the withdrawal are still in.
    expect(retries.snapshot()).toEqual({ deposits: 1, withdrawals: 1, available: 0 });
    expect(retries.tryWithdraw()).toBe(false);
    clock.advance(500);
    expect(retries.snapshot()).toEqual({ deposits: 0, withdrawals: 0, available: 0 });
  });

  it('with ratio 0 and no floor, never allows an extra attempt', () => {
    const retries = budget(0, 0);
    for (let i = 0; i < 1000; i += 1) retries.deposit();
    expect(retries.tryWithdraw()).toBe(false);
  });

  it('holds a fixed amount of memory whatever the traffic and however long it runs', () => {
    const retries = budget(0.1, 0, 1000);
    for (let i = 0; i < 100_000; i += 1) {
      clock.advance(1);
      retries.deposit();
      retries.tryWithdraw();
    }
    // 1000 ms of 1 deposit per ms, in ten buckets of 100 ms.
    expect(retries.snapshot().deposits).toBeLessThanOrEqual(1000);
    expect(retries.snapshot().deposits).toBeGreaterThanOrEqual(900);
  });

  it.each([
    [{ ratio: -0.1, minPerSecond: 0, windowMs: 1000 }, /ratio must be from 0 to 1/],
    [{ ratio: 1.5, minPerSecond: 0, windowMs: 1000 }, /ratio must be from 0 to 1/],
    [{ ratio: 0.1, minPerSecond: -1, windowMs: 1000 }, /minPerSecond must be 0 or more/],
    [{ ratio: 0.1, minPerSecond: 1, windowMs: 0 }, /windowMs must be at least 1/],
    [{ ratio: 0.1, minPerSecond: 1, windowMs: 1000, buckets: 0 }, /buckets must be a positive/],
  ])('refuses the settings %j', (options, message) => {
    expect(() => new RetryBudget(options)).toThrow(message);
  });
});
