import { LatencyPercentile } from './latency-percentile';

describe('LatencyPercentile', () => {
  it('is not trusted until it holds minSamples samples', () => {
    const p95 = new LatencyPercentile({ percentile: 95, minSamples: 5 });
    for (let i = 0; i < 4; i += 1) p95.record(10);
    expect(p95.value()).toBeUndefined();
    p95.record(10);
    expect(p95.value()).toBe(10);
  });

  it('is the nearest-rank percentile of the samples', () => {
    const p95 = new LatencyPercentile({ percentile: 95, capacity: 100, minSamples: 1 });
    // 1..100 in a shuffled order: the p95 is 95, the p50 of the same samples 50.
    const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    const p50 = new LatencyPercentile({ percentile: 50, capacity: 100, minSamples: 1 });
    for (const value of values) {
      p95.record(value);
      p50.record(value);
    }
    expect(p95.value()).toBe(95);
    expect(p50.value()).toBe(50);
  });

  it('sees one straggler in fifty above the p95 and not below it', () => {
    const p95 = new LatencyPercentile({ percentile: 95 });
    for (let i = 0; i < 200; i += 1) p95.record(i % 50 === 0 ? 2000 : 50);
    expect(p95.value()).toBe(50);
    const p99 = new LatencyPercentile({ percentile: 99 });
    for (let i = 0; i < 200; i += 1) p99.record(i % 50 === 0 ? 2000 : 50);
    expect(p99.value()).toBe(2000);
  });

  it('keeps only the last `capacity` samples, so it follows a change of latency', () => {
    const p95 = new LatencyPercentile({ percentile: 95, capacity: 64, minSamples: 10 });
    for (let i = 0; i < 100_000; i += 1) p95.record(500);
    expect(p95.size).toBe(64);
    expect(p95.value()).toBe(500);
    for (let i = 0; i < 64; i += 1) p95.record(40);
    expect(p95.size).toBe(64);
    expect(p95.value()).toBe(40);
  });

  it('answers the same value again without new samples, and a new one after a sample', () => {
    const p50 = new LatencyPercentile({ percentile: 50, minSamples: 1 });
    p50.record(10);
    expect(p50.value()).toBe(10);
    expect(p50.value()).toBe(10);
    p50.record(30);
    p50.record(30);
    expect(p50.value()).toBe(30);
  });

  it('ignores samples that are no latency', () => {
    const p50 = new LatencyPercentile({ percentile: 50, minSamples: 1 });
    for (const bad of [-1, Number.NaN, Infinity]) p50.record(bad);
    expect(p50.size).toBe(0);
    expect(p50.value()).toBeUndefined();
  });

  it.each([
    [{ percentile: 0 }, /percentile must be above 0 and below 100/],
    [{ percentile: 100 }, /percentile must be above 0 and below 100/],
    [{ percentile: 95, capacity: 0 }, /capacity must be a positive integer/],
    [{ percentile: 95, capacity: 10, minSamples: 11 }, /minSamples must be an integer from 1/],
  ])('refuses the settings %j', (options, message) => {
    expect(() => new LatencyPercentile(options)).toThrow(message);
  });
});
