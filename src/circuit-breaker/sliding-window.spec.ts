import { SlidingWindow } from './sliding-window';

describe('SlidingWindow', () => {
  it('counts calls and failures inside the window', () => {
    const window = new SlidingWindow(1_000);
    window.record(0, true);
    window.record(0, false);
    window.record(500, true);
    expect(window.counts(900)).toEqual({ calls: 3, failures: 2 });
  });

  it('drops outcomes once they are windowMs old', () => {
    const window = new SlidingWindow(1_000);
    window.record(0, true);
    window.record(600, true);
    expect(window.counts(999)).toEqual({ calls: 2, failures: 2 });
    expect(window.counts(1_000)).toEqual({ calls: 1, failures: 1 });
    expect(window.counts(1_600)).toEqual({ calls: 0, failures: 0 });
  });

  it('keeps memory bounded by the window length, not by traffic', () => {
    const window = new SlidingWindow(100);
    for (let t = 0; t < 100_000; t += 1) {
      for (let i = 0; i < 10; i += 1) window.record(t, i === 0);
    }
    expect(window.counts(99_999)).toEqual({ calls: 1_000, failures: 100 });
    // Internal arrays are compacted: at most the window's slots plus the compaction slack remain.
    expect((window as unknown as { times: number[] }).times.length).toBeLessThan(3_000);
  });

  it('shares one slot per whole millisecond at a high rate on a fractional clock (performance.now())', () => {
    const window = new SlidingWindow(1_000);
    // 100 000 outcomes in 10 ms, 0.1 µs apart: as many calls as a flat-out breaker sees.
    for (let i = 0; i < 100_000; i += 1) window.record(5_000 + i / 10_000, i % 2 === 0);
    expect(window.slots).toBe(10);
    expect(window.counts(5_010)).toEqual({ calls: 100_000, failures: 50_000 });
  });

  it('forgets everything on clear', () => {
    const window = new SlidingWindow(1_000);
    window.record(0, true);
    window.clear();
    expect(window.counts(1)).toEqual({ calls: 0, failures: 0 });
  });

  it('rejects a window that is not positive', () => {
    expect(() => new SlidingWindow(0)).toThrow(RangeError);
  });
});
