import {
  CircuitBreaker,
  type CallPermit,
  type CallRejection,
  type CircuitStateChange,
} from './circuit-breaker';
import { CircuitState } from './circuit-state';
import { FakeClock } from '../testing/fake-clock';
import { CountInWindowPolicy, FailureRatePolicy, type TripPolicy } from './trip-policies';

const BACKOFF = { baseMs: 10_000, maxMs: 60_000, jitterRatio: 0.1 };

function makeBreaker(
  overrides: { policy?: TripPolicy; halfOpenMaxProbes?: number; random?: () => number } = {},
) {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker({
    name: 'test',
    policy: overrides.policy ?? new CountInWindowPolicy(3, 30_000),
    backoff: BACKOFF,
    halfOpenMaxProbes: overrides.halfOpenMaxProbes,
    probeTimeoutMs: 4_000,
    clock,
    // No jitter unless a test asks for it, so waits are exact.
    random: overrides.random ?? (() => 0),
  });
  const changes: CircuitStateChange[] = [];
  breaker.onStateChange((change) => changes.push(change));
  return { clock, breaker, changes };
}

function admit(breaker: CircuitBreaker): CallPermit {
  const result = breaker.tryAcquire();
  if (!result.admitted) throw new Error(`expected a permit, breaker is ${result.state}`);
  return result;
}

function reject(breaker: CircuitBreaker): CallRejection {
  const result = breaker.tryAcquire();
  if (result.admitted) throw new Error('expected a rejection');
  return result;
}

function fail(breaker: CircuitBreaker, times = 1): void {
  for (let i = 0; i < times; i += 1) admit(breaker).failure();
}

describe('CircuitBreaker', () => {
  describe('CLOSED', () => {
    it('admits calls while closed', () => {
      const { breaker } = makeBreaker();
      expect(breaker.tryAcquire().admitted).toBe(true);
      expect(breaker.state).toBe(CircuitState.Closed);
    });

    it('stays closed below the failure threshold', () => {
      const { breaker } = makeBreaker();
      fail(breaker, 2);
      expect(breaker.state).toBe(CircuitState.Closed);
    });

    it('opens after 3 failures within the window', () => {
      const { breaker, changes } = makeBreaker();
      fail(breaker, 3);
      expect(breaker.state).toBe(CircuitState.Open);
      expect(changes).toEqual([
        expect.objectContaining({
          from: CircuitState.Closed,
          to: CircuitState.Open,
          reason: 'failure-threshold',
          failuresInWindow: 3,
          waitMs: 10_000,
        }),
      ]);
    });

    it('does not count failures older than the window', () => {
      const { breaker, clock } = makeBreaker();
      fail(breaker, 2);
      clock.advance(30_000);
      fail(breaker, 1);
      expect(breaker.state).toBe(CircuitState.Closed);
      expect(breaker.snapshot().failuresInWindow).toBe(1);
    });

    it('counts a failure just inside the window', () => {
      const { breaker, clock } = makeBreaker();
      fail(breaker, 2);
      clock.advance(29_999);
      fail(breaker, 1);
      expect(breaker.state).toBe(CircuitState.Open);
    });

    it('treats successes as no reason to open, and they do not erase failures', () => {
      const { breaker } = makeBreaker();
      fail(breaker, 2);
      admit(breaker).success();
      fail(breaker, 1);
      expect(breaker.state).toBe(CircuitState.Open);
    });

    it('ignores a second report on the same permit', () => {
      const { breaker } = makeBreaker();
      const permit = admit(breaker);
      permit.failure();
      permit.failure();
      permit.failure();
      expect(breaker.snapshot().failuresInWindow).toBe(1);
      expect(breaker.state).toBe(CircuitState.Closed);
    });

    it('records nothing for a released permit', () => {
      const { breaker } = makeBreaker();
      admit(breaker).release();
      expect(breaker.snapshot()).toMatchObject({
        callsInWindow: 0,
        totals: { successes: 0, failures: 0 },
      });
    });
  });

  describe('OPEN', () => {
    it('rejects calls at once with the time left to wait', () => {
      const { breaker, clock } = makeBreaker();
      fail(breaker, 3);
      clock.advance(4_000);
      expect(reject(breaker)).toEqual({
        admitted: false,
        state: CircuitState.Open,
        retryAfterMs: 6_000,
      });
    });

    it('does not count a rejected call as an outcome', () => {
      const { breaker } = makeBreaker();
      fail(breaker, 3);
      reject(breaker);
      reject(breaker);
      expect(breaker.snapshot()).toMatchObject({
        failuresInWindow: 3,
        callsInWindow: 3,
        totals: { successes: 0, failures: 3, rejections: 2 },
      });
    });

    it('stays open until the wait has passed', () => {
      const { breaker, clock } = makeBreaker();
      fail(breaker, 3);
      clock.advance(9_999);
      expect(breaker.state).toBe(CircuitState.Open);
    });

    it('becomes half-open lazily once the wait has passed', () => {
      const { breaker, clock, changes } = makeBreaker();
      fail(breaker, 3);
      clock.advance(10_000);
      expect(changes).toHaveLength(1);
      expect(breaker.tryAcquire()).toMatchObject({ admitted: true });
      expect(breaker.snapshot().probesInFlight).toBe(1);
      expect(changes[1]).toMatchObject({
        from: CircuitState.Open,
        to: CircuitState.HalfOpen,
        reason: 'wait-elapsed',
      });
    });

    it('ignores late outcomes of calls admitted before it opened', () => {
      const { breaker, clock } = makeBreaker();
      const slow = admit(breaker);
      fail(breaker, 3);
      clock.advance(10_000);
      slow.success();
      expect(breaker.state).toBe(CircuitState.HalfOpen);
      expect(breaker.snapshot().totals.successes).toBe(1);
    });
  });

  describe('HALF_OPEN', () => {
    function halfOpen(options: { halfOpenMaxProbes?: number } = {}) {
      const made = makeBreaker(options);
      fail(made.breaker, 3);
      made.clock.advance(10_000);
      return made;
    }

    it('admits one probe and rejects the others while it is in flight', () => {
      const { breaker } = halfOpen();
      admit(breaker);
      expect(breaker.snapshot().probesInFlight).toBe(1);
      expect(reject(breaker)).toMatchObject({ state: CircuitState.HalfOpen });
    });

    it('admits as many concurrent probes as configured', () => {
      const { breaker } = halfOpen({ halfOpenMaxProbes: 2 });
      admit(breaker);
      admit(breaker);
      expect(reject(breaker).state).toBe(CircuitState.HalfOpen);
    });

    it('closes with a clean window when the probe succeeds', () => {
      const { breaker, changes } = halfOpen();
      admit(breaker).success();
      expect(breaker.state).toBe(CircuitState.Closed);
      expect(breaker.snapshot()).toMatchObject({
        failuresInWindow: 0,
        callsInWindow: 0,
        failedProbes: 0,
      });
      expect(changes.at(-1)).toMatchObject({ to: CircuitState.Closed, reason: 'probe-succeeded' });
      fail(breaker, 2);
      expect(breaker.state).toBe(CircuitState.Closed);
    });

    it('reopens with the next backoff step when the probe fails', () => {
      const { breaker, clock, changes } = halfOpen();
      admit(breaker).failure();
      expect(breaker.state).toBe(CircuitState.Open);
      expect(changes.at(-1)).toMatchObject({
        to: CircuitState.Open,
        reason: 'probe-failed',
        waitMs: 20_000,
      });
      clock.advance(19_999);
      expect(breaker.state).toBe(CircuitState.Open);
      clock.advance(1);
      expect(breaker.state).toBe(CircuitState.HalfOpen);
    });

    it('frees the probe slot when a probe is released without an outcome', () => {
      const { breaker } = halfOpen();
      admit(breaker).release();
      expect(breaker.state).toBe(CircuitState.HalfOpen);
      admit(breaker);
      expect(breaker.snapshot().probesInFlight).toBe(1);
    });

    it('treats a probe that never reports as failed once its timeout passes', () => {
      const { breaker, clock, changes } = halfOpen();
      const hung = admit(breaker);
      clock.advance(3_999);
      reject(breaker);
      clock.advance(1);
      expect(breaker.state).toBe(CircuitState.Open);
      expect(changes.at(-1)).toMatchObject({ reason: 'probe-timed-out', waitMs: 20_000 });
      hung.success(); // too late: it does not close the breaker
      expect(breaker.state).toBe(CircuitState.Open);
    });

    it('tells rejected callers when the in-flight probe will have timed out', () => {
      const { breaker, clock } = halfOpen();
      admit(breaker);
      clock.advance(1_000);
      expect(reject(breaker).retryAfterMs).toBe(3_000);
    });

    it('resets the backoff after a successful probe', () => {
      const { breaker, clock, changes } = halfOpen();
      admit(breaker).failure(); // OPEN for 20 s
      clock.advance(20_000);
      admit(breaker).success(); // CLOSED
      fail(breaker, 3);
      expect(changes.at(-1)).toMatchObject({ to: CircuitState.Open, waitMs: 10_000 });
    });
  });

  describe('backoff', () => {
    it('waits 10 s, 20 s, 40 s, 60 s, 60 s as probes keep failing', () => {
      const { breaker, clock, changes } = makeBreaker();
      fail(breaker, 3);
      const waits: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        const open = changes.at(-1)!;
        waits.push(open.waitMs!);
        clock.advance(open.waitMs!);
        admit(breaker).failure();
      }
      expect(waits).toEqual([10_000, 20_000, 40_000, 60_000, 60_000]);
    });

    it('takes at most 10% off the wait as jitter', () => {
      const almostOne = makeBreaker({ random: () => 0.999999 });
      fail(almostOne.breaker, 3);
      expect(almostOne.changes[0].waitMs).toBe(9_000);
      const half = makeBreaker({ random: () => 0.5 });
      fail(half.breaker, 3);
      expect(half.changes[0].waitMs).toBe(9_500);
    });
  });

  describe('failure rate policy', () => {
    const ratePolicy = () => new FailureRatePolicy(0.5, 20, 10_000);

    it('does not open below the minimum number of calls, whatever the rate', () => {
      const { breaker } = makeBreaker({ policy: ratePolicy() });
      fail(breaker, 19);
      expect(breaker.state).toBe(CircuitState.Closed);
    });

    it('opens once the minimum volume is reached at the failure rate', () => {
      const { breaker } = makeBreaker({ policy: ratePolicy() });
      for (let i = 0; i < 10; i += 1) admit(breaker).success();
      fail(breaker, 9);
      expect(breaker.state).toBe(CircuitState.Closed);
      fail(breaker, 1);
      expect(breaker.state).toBe(CircuitState.Open);
    });

    it('stays closed when the rate is below the threshold', () => {
      const { breaker } = makeBreaker({ policy: ratePolicy() });
      for (let i = 0; i < 15; i += 1) admit(breaker).success();
      fail(breaker, 14);
      expect(breaker.state).toBe(CircuitState.Closed);
    });

    it('opens when a success brings the volume to the minimum at a failing rate', () => {
      // 19 failures then 1 success: 95% of 20 calls. Judged only after failures, it stayed CLOSED.
      const { breaker } = makeBreaker({ policy: ratePolicy() });
      fail(breaker, 19);
      admit(breaker).success();
      expect(breaker.state).toBe(CircuitState.Open);
    });

    it('opens exactly at the rate, without floating-point error', () => {
      // 0.55 × 100 is 55.000000000000007 in floating point, and 0.28 × 25 is 7.000000000000001.
      for (const [ratio, calls, failures] of [
        [0.55, 100, 55],
        [0.28, 25, 7],
      ]) {
        const { breaker } = makeBreaker({ policy: new FailureRatePolicy(ratio, calls, 10_000) });
        for (let i = 0; i < calls - failures; i += 1) admit(breaker).success();
        fail(breaker, failures);
        expect(breaker.state).toBe(CircuitState.Open);
      }
    });
  });

  describe('preflight', () => {
    it('says nothing while a call would be admitted, and takes no permit', () => {
      const { breaker, clock } = makeBreaker();
      expect(breaker.preflight()).toBeUndefined();
      fail(breaker, 3);
      clock.advance(10_000);
      expect(breaker.preflight()).toBeUndefined();
      expect(breaker.snapshot().probesInFlight).toBe(0);
    });

    it('returns the rejection a call would get, and counts it', () => {
      const { breaker, clock } = makeBreaker();
      fail(breaker, 3);
      clock.advance(4_000);
      expect(breaker.preflight()).toEqual({
        admitted: false,
        state: CircuitState.Open,
        retryAfterMs: 6_000,
      });
      expect(breaker.snapshot().totals.rejections).toBe(1);
    });
  });

  describe('operator controls', () => {
    it('refuses every call while forced open, however long it lasts, until reset', () => {
      const { breaker, clock, changes } = makeBreaker();
      breaker.forceOpen();
      clock.advance(3_600_000);
      expect(reject(breaker)).toEqual({
        admitted: false,
        state: CircuitState.ForcedOpen,
        retryAfterMs: 10_000,
      });
      expect(changes.at(-1)).toMatchObject({ to: CircuitState.ForcedOpen, reason: 'forced-open' });
      breaker.reset();
      expect(breaker.state).toBe(CircuitState.Closed);
      admit(breaker);
    });

    it('lets every call through while disabled, never trips, and still counts outcomes', () => {
      const { breaker } = makeBreaker();
      breaker.disable();
      fail(breaker, 50);
      expect(breaker.snapshot()).toMatchObject({
        state: CircuitState.Disabled,
        failuresInWindow: 0,
        totals: { failures: 50, successes: 0, rejections: 0 },
      });
    });

    it('ignores the outcome of a probe admitted before it was forced open', () => {
      const { breaker, clock } = makeBreaker();
      fail(breaker, 3);
      clock.advance(10_000);
      const probe = admit(breaker);
      breaker.forceOpen();
      probe.success();
      expect(breaker.state).toBe(CircuitState.ForcedOpen);
    });

    it('resets to CLOSED with an empty history', () => {
      const { breaker } = makeBreaker();
      fail(breaker, 2);
      breaker.reset();
      fail(breaker, 2);
      expect(breaker.snapshot()).toMatchObject({
        state: CircuitState.Closed,
        failuresInWindow: 2,
      });
    });
  });

  describe('clock', () => {
    afterEach(() => jest.restoreAllMocks());

    it('measures the open wait on a monotonic clock, not the wall clock', () => {
      let monotonic = 5_000;
      let wall = Date.now();
      jest.spyOn(performance, 'now').mockImplementation(() => monotonic);
      jest.spyOn(Date, 'now').mockImplementation(() => wall);
      const breaker = new CircuitBreaker({
        name: 'default-clock',
        policy: new CountInWindowPolicy(1, 30_000),
        backoff: BACKOFF,
        probeTimeoutMs: 4_000,
        random: () => 0,
      });
      fail(breaker, 1);
      wall -= 3_600_000; // the system clock steps back an hour
      monotonic += 10_000;
      expect(breaker.state).toBe(CircuitState.HalfOpen);
    });
  });

  describe('listeners and snapshots', () => {
    it('stops notifying a listener once it is disposed', () => {
      const { breaker } = makeBreaker();
      const heard: CircuitStateChange[] = [];
      const subscription = breaker.onStateChange((change) => heard.push(change));
      subscription.dispose();
      fail(breaker, 3);
      expect(heard).toEqual([]);
    });

    it('keeps working when a listener throws', () => {
      const { breaker, changes } = makeBreaker();
      breaker.onStateChange(() => {
        throw new Error('listener bug');
      });
      fail(breaker, 3);
      expect(breaker.state).toBe(CircuitState.Open);
      expect(changes).toHaveLength(1);
    });

    it('describes an open breaker', () => {
      const { breaker, clock } = makeBreaker();
      const openedAt = clock.now();
      fail(breaker, 3);
      clock.advance(2_500);
      reject(breaker);
      expect(breaker.snapshot()).toEqual({
        name: 'test',
        state: CircuitState.Open,
        policy: '3 failures within 30000 ms',
        failuresInWindow: 3,
        callsInWindow: 3,
        failedProbes: 0,
        probesInFlight: 0,
        openedAt,
        retryAfterMs: 7_500,
        totals: { successes: 0, failures: 3, rejections: 1 },
      });
    });

    it('can be reset to closed by hand', () => {
      const { breaker, changes } = makeBreaker();
      fail(breaker, 3);
      breaker.reset();
      expect(breaker.state).toBe(CircuitState.Closed);
      expect(changes.at(-1)).toMatchObject({ reason: 'manual-reset' });
    });
  });

  it('rejects invalid options', () => {
    const options = {
      name: 'x',
      policy: new CountInWindowPolicy(3, 1000),
      backoff: BACKOFF,
      probeTimeoutMs: 1000,
    };
    expect(() => new CircuitBreaker({ ...options, halfOpenMaxProbes: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ ...options, probeTimeoutMs: 0 })).toThrow(RangeError);
  });
});
