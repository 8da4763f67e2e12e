import fc from 'fast-check';
import { CircuitBreaker, type CallPermit } from './circuit-breaker';
import { CircuitState } from './circuit-state';
import { FakeClock } from '../testing/fake-clock';
import { CountInWindowPolicy, FailureRatePolicy } from './trip-policies';

// A reference model of the breaker semantics (docs/resilience.md), written as plainly as possible (a full log of
// outcomes, recomputed every time) and checked against the real breaker on random histories.

type Outcome = 'success' | 'failure' | 'release';
type Op =
  | { readonly type: 'acquire' }
  | { readonly type: 'report'; readonly index: number; readonly outcome: Outcome }
  | { readonly type: 'advance'; readonly ms: number };

interface Settings {
  readonly policy:
    | { kind: 'count'; threshold: number; windowMs: number }
    | { kind: 'rate'; ratioPercent: number; minimumCalls: number; windowMs: number };
  readonly baseMs: number;
  readonly maxMs: number;
  readonly maxProbes: number;
  readonly probeTimeoutMs: number;
  readonly jitter: number;
}

class ReferenceBreaker {
  state: CircuitState = CircuitState.Closed;
  private log: { t: number; failed: boolean }[] = [];
  private openedAt = 0;
  private waitMs = 0;
  private failedProbes = 0;
  private probes = new Map<number, number>();
  private generation = 0;
  private readonly permits = new Map<number, { generation: number; settled: boolean }>();
  rejections = 0;

  constructor(private readonly s: Settings) {}

  private waitFor(failedProbes: number): number {
    return Math.round(
      Math.min(this.s.baseMs * 2 ** failedProbes, this.s.maxMs) * (1 - 0.1 * this.s.jitter),
    );
  }

  private open(at: number, failedProbes: number): void {
    this.state = CircuitState.Open;
    this.openedAt = at;
    this.failedProbes = failedProbes;
    this.waitMs = this.waitFor(failedProbes);
    this.generation += 1;
  }

  private windowCounts(now: number): { calls: number; failures: number } {
    const inWindow = this.log.filter((entry) => now - entry.t < this.s.policy.windowMs);
    return { calls: inWindow.length, failures: inWindow.filter((entry) => entry.failed).length };
  }

  private trips(now: number): boolean {
    const { calls, failures } = this.windowCounts(now);
    const p = this.s.policy;
    // The rate is compared in integers (percent), as the specification asks: no floating point.
    return p.kind === 'count'
      ? failures >= p.threshold
      : calls >= p.minimumCalls && failures * 100 >= p.ratioPercent * calls;
  }

  tick(now: number): void {
    for (;;) {
      if (this.state === CircuitState.Open && now >= this.openedAt + this.waitMs) {
        this.state = CircuitState.HalfOpen;
        this.probes = new Map();
        this.generation += 1;
        continue;
      }
      if (this.state === CircuitState.HalfOpen && this.probes.size > 0) {
        const expiry = Math.min(...this.probes.values()) + this.s.probeTimeoutMs;
        if (now >= expiry) {
          this.open(expiry, this.failedProbes + 1);
          continue;
        }
      }
      return;
    }
  }

  acquire(now: number, id: number): { admitted: boolean; retryAfterMs?: number } {
    this.tick(now);
    if (this.state === CircuitState.Closed) {
      this.permits.set(id, { generation: this.generation, settled: false });
      return { admitted: true };
    }
    if (this.state === CircuitState.HalfOpen && this.probes.size < this.s.maxProbes) {
      this.permits.set(id, { generation: this.generation, settled: false });
      this.probes.set(id, now);
      return { admitted: true };
    }
    this.rejections += 1;
    if (this.state === CircuitState.Open)
      return { admitted: false, retryAfterMs: this.openedAt + this.waitMs - now };
    const expiry = Math.min(...this.probes.values()) + this.s.probeTimeoutMs;
    return { admitted: false, retryAfterMs: Math.max(0, expiry - now) };
  }

  report(now: number, id: number, outcome: Outcome): void {
    const permit = this.permits.get(id)!;
    if (permit.settled) return;
    permit.settled = true;
    this.tick(now);
    if (permit.generation !== this.generation) return;
    if (this.state === CircuitState.Closed) {
      if (outcome === 'release') return;
      this.log.push({ t: now, failed: outcome === 'failure' });
      // Judged after every recorded outcome, successes included.
      if (this.trips(now)) this.open(now, 0);
      return;
    }
    if (this.state === CircuitState.HalfOpen) {
      this.probes.delete(id);
      if (outcome === 'success') {
        this.state = CircuitState.Closed;
        this.log = [];
        this.failedProbes = 0;
        this.generation += 1;
      } else if (outcome === 'failure') {
        this.open(now, this.failedProbes + 1);
      }
    }
  }

  failuresInWindow(now: number): number {
    this.tick(now);
    return this.windowCounts(now).failures;
  }
}

const settingsArbitrary: fc.Arbitrary<Settings> = fc.record({
  policy: fc.oneof(
    fc.record({
      kind: fc.constant('count' as const),
      threshold: fc.integer({ min: 1, max: 5 }),
      windowMs: fc.integer({ min: 1, max: 60_000 }),
    }),
    fc.record({
      kind: fc.constant('rate' as const),
      ratioPercent: fc.constantFrom(10, 25, 28, 50, 55, 75, 100),
      minimumCalls: fc.integer({ min: 1, max: 10 }),
      windowMs: fc.integer({ min: 1, max: 60_000 }),
    }),
  ),
  baseMs: fc.integer({ min: 1, max: 20_000 }),
  maxMs: fc.integer({ min: 20_000, max: 80_000 }),
  maxProbes: fc.integer({ min: 1, max: 3 }),
  probeTimeoutMs: fc.integer({ min: 1, max: 10_000 }),
  jitter: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
});

/** Operations, with clock steps biased towards the settings' own boundaries (window, waits, timeouts). */
function opsFor(settings: Settings): fc.Arbitrary<Op[]> {
  const w = settings.policy.windowMs;
  const boundaries = [
    w - 1,
    w,
    w + 1,
    settings.baseMs,
    settings.probeTimeoutMs,
    settings.probeTimeoutMs - 1,
    settings.maxMs,
  ];
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ type: 'acquire' as const }) },
    {
      weight: 4,
      arbitrary: fc.record({
        type: fc.constant('report' as const),
        index: fc.nat(),
        outcome: fc.constantFrom<Outcome>('success', 'failure', 'failure', 'release'),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constant('advance' as const),
        ms: fc.oneof(
          fc.integer({ min: 0, max: 50 }),
          fc.integer({ min: 0, max: 90_000 }),
          fc.constantFrom(...boundaries.map((ms) => Math.max(0, ms))),
        ),
      }),
    },
  );
  return fc.array(op, { maxLength: 150 });
}

describe('CircuitBreaker against a reference model', () => {
  it('agrees with the model on every admission, rejection, state and window count', () => {
    fc.assert(
      fc.property(
        settingsArbitrary.chain((settings) => fc.tuple(fc.constant(settings), opsFor(settings))),
        ([settings, ops]) => {
          const clock = new FakeClock(0);
          const p = settings.policy;
          const breaker = new CircuitBreaker({
            name: 'model',
            policy:
              p.kind === 'count'
                ? new CountInWindowPolicy(p.threshold, p.windowMs)
                : new FailureRatePolicy(p.ratioPercent / 100, p.minimumCalls, p.windowMs),
            backoff: { baseMs: settings.baseMs, maxMs: settings.maxMs, jitterRatio: 0.1 },
            halfOpenMaxProbes: settings.maxProbes,
            probeTimeoutMs: settings.probeTimeoutMs,
            clock,
            random: () => settings.jitter,
          });
          const model = new ReferenceBreaker(settings);
          const permits: { id: number; permit: CallPermit }[] = [];

          for (const op of ops) {
            if (op.type === 'advance') {
              clock.advance(op.ms);
            } else if (op.type === 'acquire') {
              const id = permits.length;
              const real = breaker.tryAcquire();
              const expected = model.acquire(clock.now(), id);
              expect(real.admitted).toBe(expected.admitted);
              if (real.admitted) permits.push({ id, permit: real });
              else expect(real.retryAfterMs).toBe(expected.retryAfterMs);
            } else if (permits.length > 0) {
              const { id, permit } = permits[op.index % permits.length];
              permit[op.outcome]();
              model.report(clock.now(), id, op.outcome);
            }
            const snapshot = breaker.snapshot();
            model.tick(clock.now());
            expect(snapshot.state).toBe(model.state);
            expect(snapshot.failuresInWindow).toBe(model.failuresInWindow(clock.now()));
            expect(snapshot.totals.rejections).toBe(model.rejections);
          }
        },
      ),
      { numRuns: 3_000 },
    );
  }, 60_000);
});
