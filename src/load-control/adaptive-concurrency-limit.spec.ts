import { FakeClock } from '../testing/fake-clock';
import { FakeTimers } from '../testing/fake-timers';
import {
  AdaptiveConcurrencyLimit,
  ConcurrencyLimitRefusal,
  type AdaptiveConcurrencyLimitOptions,
  type ConcurrencyLimitEvent,
  type ReleaseSlot,
} from './adaptive-concurrency-limit';

function setup(options: Partial<AdaptiveConcurrencyLimitOptions> = {}) {
  const clock = new FakeClock();
  const timers = new FakeTimers(clock);
  const limit = new AdaptiveConcurrencyLimit({
    initialLimit: 4,
    minLimit: 2,
    maxLimit: 8,
    queueSize: 2,
    queueTimeoutMs: 250,
    clock,
    timers: timers.start,
    ...options,
  });
  const events: ConcurrencyLimitEvent[] = [];
  limit.events.on((event) => events.push(event));
  /** Takes `n` slots at once (they must be free). */
  const take = (n: number): ReleaseSlot[] =>
    Array.from({ length: n }, () => {
      const release = limit.tryAcquire();
      if (!release) throw new Error('no free slot');
      return release;
    });
  /** One round: the whole limit in flight, each call ending with this latency. */
  const round = (operation: string, latencyMs: number, dropped = false) => {
    for (const release of take(limit.snapshot().limit)) release({ operation, latencyMs, dropped });
  };
  return { clock, timers, limit, events, take, round };
}

/**
 * `n` calls of the operation `event`, one after the other, each with this latency, while half the
 * limit is in flight besides (so the limit is in use; those calls end without a sample after).
 */
function slowCalls(
  limit: AdaptiveConcurrencyLimit,
  take: (n: number) => ReleaseSlot[],
  n: number,
  latencyMs: number,
): void {
  const held = take(Math.ceil(limit.snapshot().limit / 2));
  for (let i = 0; i < n; i += 1) take(1)[0]({ operation: 'event', latencyMs, dropped: false });
  for (const release of held) release();
}

/** 'served', or the reason the wait was refused. */
const outcome = (wait: Promise<ReleaseSlot>) =>
  wait.then(
    () => 'served',
    (error: ConcurrencyLimitRefusal) => error.reason,
  );

/** Lets settled promises run their callbacks. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('AdaptiveConcurrencyLimit: slots and the queue', () => {
  it('admits up to the limit at once, then queues, and hands freed slots out first come first served', async () => {
    const { limit, take } = setup({ queueSize: 3 });
    const [first] = take(4);
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => limit.acquire().then((release) => (order.push(n), release)));
    await flush();
    expect(order).toEqual([]);
    expect(limit.snapshot()).toEqual({ limit: 4, inFlight: 4, queued: 3 });
    first();
    await flush();
    expect(order).toEqual([1]);
    expect(limit.snapshot()).toEqual({ limit: 4, inFlight: 4, queued: 2 });
    (await waits[0])();
    await flush();
    expect(order).toEqual([1, 2]);
  });

  it('refuses at once when the queue is full, and counts the refusal', async () => {
    const { limit, take, events } = setup({ queueSize: 1 });
    take(4);
    void limit.acquire();
    const refusal: unknown = await limit.acquire().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ConcurrencyLimitRefusal);
    expect(refusal).toMatchObject({ reason: 'queue_full' });
    expect(events).toContainEqual({ kind: 'refused', reason: 'queue_full' });
    expect(limit.snapshot().queued).toBe(1);
  });

  it('never queues with a queue size of 0', async () => {
    const { limit, take } = setup({ queueSize: 0 });
    take(4);
    await expect(limit.acquire()).rejects.toMatchObject({ reason: 'queue_full' });
    expect(limit.snapshot().queued).toBe(0);
  });

  it('refuses a waiter whose wait passes the queue timeout; it leaves the queue and its timer is gone', async () => {
    const { limit, take, timers, events } = setup();
    const [first] = take(4);
    const wait = limit.acquire();
    timers.advance(249);
    expect(limit.snapshot().queued).toBe(1);
    timers.advance(1);
    await expect(wait).rejects.toMatchObject({ reason: 'queue_timeout' });
    expect(events).toContainEqual({ kind: 'refused', reason: 'queue_timeout' });
    expect(limit.snapshot()).toEqual({ limit: 4, inFlight: 4, queued: 0 });
    expect(timers.count).toBe(0);
    first(); // the freed slot goes to nobody
    expect(limit.snapshot().inFlight).toBe(3);
  });

  it('serves a burst first come first served, even one that waited past the standing interval for its first slot', async () => {
    // Two fan-outs that together need twice the limit: the second's calls wait one upstream round
    // trip (here 150 ms), then get their slots as the first's calls end, a few ms apart.
    const { limit, take, timers, events } = setup({ queueSize: 4 });
    const slots = take(4);
    const served: number[] = [];
    const waits = [1, 2, 3, 4].map((n) =>
      limit.acquire().then((release) => (served.push(n), release)),
    );
    timers.advance(150);
    for (const release of slots) {
      release();
      timers.advance(3);
    }
    await Promise.all(waits);
    expect(served).toEqual([1, 2, 3, 4]);
    expect(events.filter((event) => event.kind === 'refused')).toEqual([]);
  });

  it('once waiters have been served late for 100 ms, the queue stands: newcomers get 5 ms, the newest are served, the late refused', async () => {
    const { limit, take, timers, events } = setup({ queueSize: 8 });
    const slots = take(4);
    const served: string[] = [];
    const join = (name: string) =>
      limit.acquire().then(
        (release) => (served.push(name), release),
        (error: unknown) => (served.push(`${name} refused`), error),
      );
    const [a, b, c] = ['a', 'b', 'c'].map(join); // a burst: first come first served, 250 ms
    timers.advance(20);
    slots[0](); // a waited 20 ms (> 5): the late period starts
    timers.advance(50);
    slots[1](); // b, late too, 50 ms later
    await Promise.all([a, b]);
    timers.advance(50); // 100 ms of late service, the last 50 ms ago: it stands
    const d = join('d'); // 5 ms, not 250
    const e = join('e');
    slots[2]();
    await e;
    expect(served).toEqual(['a', 'b', 'e']); // the newest first
    timers.advance(5);
    await d;
    expect(served).toEqual(['a', 'b', 'e', 'd refused']);
    slots[3](); // c has waited 125 ms: refused, not served late
    await c;
    expect(served).toEqual(['a', 'b', 'e', 'd refused', 'c refused']);
    expect(limit.snapshot()).toEqual({ limit: 4, inFlight: 3, queued: 0 });
    expect(events.filter((event) => event.kind === 'refused')).toEqual([
      { kind: 'refused', reason: 'queue_timeout' },
      { kind: 'refused', reason: 'queue_timeout' },
    ]);
  });

  it('still stands when it empties for a moment, and is a burst queue again after 100 ms without a late waiter', async () => {
    const { limit, take, timers } = setup({ queueSize: 8 });
    const slots = take(4);
    const [w1, w2, w3] = [1, 2, 3].map(() => outcome(limit.acquire()));
    timers.advance(10);
    slots[0](); // w1, 10 ms late: a late period starts
    timers.advance(60);
    slots[1](); // w2, 70 ms late
    timers.advance(45);
    slots[2](); // 105 ms of late service: it stands, and w3 (115 ms) is refused, not served late
    expect(await Promise.all([w1, w2, w3])).toEqual(['served', 'served', 'queue_timeout']);
    expect(limit.snapshot()).toEqual({ limit: 4, inFlight: 3, queued: 0 });
    take(1);
    const brief = limit.acquire(); // the queue is empty, but it stood a moment ago: 5 ms
    timers.advance(5);
    await expect(brief).rejects.toMatchObject({ reason: 'queue_timeout' });
    timers.advance(100); // 100 ms without anyone waiting late: a burst queue again
    const patient = outcome(limit.acquire());
    timers.advance(249); // a burst's 250 ms
    expect(limit.snapshot().queued).toBe(1);
    slots[3]();
    expect(await patient).toBe('served');
  });

  it('ends the late period as soon as a waiter is served within 5 ms: the queue keeps up', async () => {
    const { limit, take, timers } = setup({ queueSize: 3 });
    const slots = take(4);
    const late = limit.acquire();
    timers.advance(80);
    slots[0](); // 80 ms late: a late period starts
    await late;
    const [onTime, later] = [outcome(limit.acquire()), outcome(limit.acquire())];
    timers.advance(2);
    slots[1](); // served within 2 ms: the late period ends
    timers.advance(68);
    slots[2](); // 70 ms late: a new late period starts (it would be 150 ms old otherwise)
    expect(await Promise.all([onTime, later])).toEqual(['served', 'served']);
    timers.advance(50);
    const newcomer = outcome(limit.acquire()); // not standing: a burst's 250 ms, not 5
    timers.advance(6);
    expect(limit.snapshot().queued).toBe(1);
    slots[3]();
    expect(await newcomer).toBe('served');
  });

  it('cancels the timer of a waiter that got its slot', async () => {
    const { limit, take, timers } = setup();
    const [first] = take(4);
    const wait = limit.acquire();
    first();
    const release = await wait;
    expect(timers.count).toBe(0);
    timers.advance(1000);
    release();
    expect(limit.snapshot().inFlight).toBe(3);
  });

  it('lets a waiter whose signal aborts leave the queue with the abort, and serves the next one', async () => {
    const { limit, take, timers } = setup();
    const [first] = take(4);
    const controller = new AbortController();
    const cancelled = limit.acquire({ signal: controller.signal });
    const next = limit.acquire();
    controller.abort(new Error('client went away'));
    await expect(cancelled).rejects.toThrow('client went away');
    expect(limit.snapshot().queued).toBe(1);
    expect(timers.count).toBe(1);
    first();
    await expect(next).resolves.toEqual(expect.any(Function));
    expect(limit.snapshot()).toEqual({ limit: 4, inFlight: 4, queued: 0 });
  });

  it('rejects a call whose signal has already aborted, without queueing or taking a slot', async () => {
    const { limit } = setup();
    const signal = AbortSignal.abort(new Error('too late'));
    await expect(limit.acquire({ signal })).rejects.toThrow('too late');
    expect(limit.snapshot()).toEqual({ limit: 4, inFlight: 0, queued: 0 });
  });

  it('tryAcquire and immediate admission never wait: no free slot means no slot at once', async () => {
    const { limit, take, events } = setup();
    const [first] = take(4);
    expect(limit.tryAcquire()).toBeUndefined();
    await expect(limit.acquire({ admission: 'immediate' })).rejects.toMatchObject({
      reason: 'no_free_slot',
    });
    expect(events).toContainEqual({ kind: 'refused', reason: 'no_free_slot' });
    expect(limit.snapshot().queued).toBe(0);
    // a free slot with someone waiting for it is not free
    const waiting = limit.acquire();
    first();
    expect(limit.tryAcquire()).toBeUndefined();
    await waiting;
    expect(limit.snapshot()).toEqual({ limit: 4, inFlight: 4, queued: 0 });
  });

  it('frees a slot once, however often it is released', () => {
    const { limit, take } = setup();
    const [first] = take(2);
    first();
    first({ operation: 'get', latencyMs: 10, dropped: true });
    expect(limit.snapshot()).toEqual({ limit: 4, inFlight: 1, queued: 0 });
  });

  it('refuses a sample that is not a latency, and keeps the slot', () => {
    const { limit, take } = setup();
    const [first] = take(1);
    expect(() => first({ operation: 'get', latencyMs: Number.NaN, dropped: false })).toThrow(
      RangeError,
    );
    expect(() => first({ operation: 'get', latencyMs: -1, dropped: false })).toThrow(RangeError);
    expect(limit.snapshot().inFlight).toBe(1);
    first({ operation: 'get', latencyMs: 1, dropped: false });
    expect(limit.snapshot().inFlight).toBe(0);
  });

  it('refuses an unknown admission', async () => {
    const { limit } = setup();
    await expect(limit.acquire({ admission: 'later' as 'queue' })).rejects.toThrow(TypeError);
    expect(limit.snapshot().inFlight).toBe(0);
  });

  it('reports its state after each change', () => {
    const { take, events } = setup();
    const [first] = take(1);
    first();
    expect(events).toEqual([
      { kind: 'state', limit: 4, inFlight: 1, queued: 0 },
      { kind: 'state', limit: 4, inFlight: 0, queued: 0 },
    ]);
  });

  it.each([
    [{ minLimit: 5, initialLimit: 4 }, /minLimit ≤ initialLimit ≤ maxLimit/],
    [{ initialLimit: 9, maxLimit: 8 }, /minLimit ≤ initialLimit ≤ maxLimit/],
    [{ minLimit: 0 }, /minLimit must be a whole number/],
    [{ initialLimit: 2.5 }, /initialLimit must be a whole number/],
    [{ queueSize: -1 }, /queueSize must be a whole number/],
    [{ queueTimeoutMs: Number.POSITIVE_INFINITY }, /queueTimeoutMs/],
    [{ backoffRatio: 1 }, /backoffRatio/],
    [{ latencyTolerance: 0.5 }, /latencyTolerance/],
  ])('refuses bad options %p', (options, message) => {
    expect(() => setup(options)).toThrow(message);
  });
});

describe('AdaptiveConcurrencyLimit: the limit adapts', () => {
  it('grows by one per round of healthy calls while the limit is in use, up to the maximum', () => {
    const { limit, round } = setup();
    round('list', 100);
    expect(limit.snapshot().limit).toBe(5);
    round('list', 100);
    expect(limit.snapshot().limit).toBe(6);
    for (let i = 0; i < 10; i += 1) round('list', 100);
    expect(limit.snapshot().limit).toBe(8);
  });

  it('does not grow while most of the limit is unused', () => {
    const { limit } = setup();
    for (let i = 0; i < 50; i += 1) {
      limit.tryAcquire()?.({ operation: 'list', latencyMs: 100, dropped: false });
    }
    expect(limit.snapshot().limit).toBe(4);
  });

  it('shrinks when a call drops (timeout, 5xx, network error)', () => {
    const { limit, round, take } = setup({ initialLimit: 8, maxLimit: 8 });
    round('list', 100);
    take(1)[0]({ operation: 'list', latencyMs: 100, dropped: true });
    expect(limit.snapshot().limit).toBe(7); // 8 × 0.9
  });

  it("shrinks when a call's latency rises past twice its operation's baseline", () => {
    const { limit, take } = setup({ initialLimit: 8, maxLimit: 8 });
    take(1)[0]({ operation: 'event', latencyMs: 500, dropped: false });
    take(1)[0]({ operation: 'event', latencyMs: 1000, dropped: false }); // 2 × 500 + 25 tolerated
    expect(limit.snapshot().limit).toBe(8);
    slowCalls(limit, take, 2, 1100);
    expect(limit.snapshot().limit).toBe(8); // two slow calls in a round: not yet
    slowCalls(limit, take, 1, 1100);
    expect(limit.snapshot().limit).toBe(7);
  });

  it('does not shrink on slow calls while most of the limit is unused (app-limited)', () => {
    const { limit, take } = setup({ initialLimit: 8, maxLimit: 8 });
    take(1)[0]({ operation: 'event', latencyMs: 2, dropped: false });
    // The upstream got slower for everyone: 3 calls at once, 100 times the baseline.
    for (let i = 0; i < 5; i += 1) {
      for (const release of take(3))
        release({ operation: 'event', latencyMs: 200, dropped: false });
    }
    expect(limit.snapshot().limit).toBe(8);
    slowCalls(limit, take, 3, 200); // the same latency with the limit in use: congestion
    expect(limit.snapshot().limit).toBe(4);
  });

  it('on latency alone stops at the latency floor; drops take it further, to the minimum', () => {
    const { limit, take } = setup({ initialLimit: 8, maxLimit: 8, minLimit: 1, latencyFloor: 6 });
    take(1)[0]({ operation: 'event', latencyMs: 100, dropped: false });
    for (let i = 0; i < 5; i += 1) slowCalls(limit, take, 3, 5000);
    expect(limit.snapshot().limit).toBe(6);
    const drop = () => take(1)[0]({ operation: 'event', latencyMs: 100, dropped: true });
    drop();
    drop();
    expect(limit.snapshot().limit).toBe(4); // 6 × 0.9 × 0.9 = 4.86: drops go below the floor
    slowCalls(limit, take, 3, 5000); // below the floor, latency takes it no lower (nor raises it)
    expect(limit.snapshot().limit).toBe(4);
    for (let i = 0; i < 30; i += 1) drop();
    expect(limit.snapshot().limit).toBe(1);
  });

  it('below the latency floor, a drop comes down as far as its round of slow calls says', () => {
    const { limit, take } = setup({ initialLimit: 8, maxLimit: 8, minLimit: 1, latencyFloor: 8 });
    take(1)[0]({ operation: 'event', latencyMs: 100, dropped: false });
    slowCalls(limit, take, 3, 450); // tolerated 225: half; latency alone lowers nothing here
    expect(limit.snapshot().limit).toBe(8);
    // The upstream refuses a call at once: a drop, lowered by the round's slow calls (× 0.5).
    take(1)[0]({ operation: 'event', latencyMs: 5, dropped: true });
    expect(limit.snapshot().limit).toBe(4);
  });

  it('lowers a drop by 0.9 when its round had no slow calls, or only a straggler', () => {
    const { limit, take } = setup({ initialLimit: 8, maxLimit: 8, minLimit: 1, latencyFloor: 8 });
    take(1)[0]({ operation: 'event', latencyMs: 100, dropped: false });
    slowCalls(limit, take, 1, 2000); // one straggler
    take(1)[0]({ operation: 'event', latencyMs: 5, dropped: true });
    expect(limit.snapshot().limit).toBe(7); // 7.2
  });

  it('takes one straggler a round for what it is, not congestion', () => {
    const { limit, take, round } = setup({ initialLimit: 8, maxLimit: 8 });
    round('event', 100);
    for (let i = 0; i < 10; i += 1) {
      slowCalls(limit, take, 1, 2000);
      slowCalls(limit, take, 7, 100);
    }
    expect(limit.snapshot().limit).toBe(8);
  });

  it('shrinks as far as the latency is past what is tolerated, by half at most', () => {
    const { limit, take } = setup({ initialLimit: 8, maxLimit: 8, minLimit: 1 });
    take(1)[0]({ operation: 'event', latencyMs: 100, dropped: false });
    slowCalls(limit, take, 3, 250); // tolerated 225: × 0.9
    expect(limit.snapshot().limit).toBe(7); // 7.2
    slowCalls(limit, take, 3, 300); // × 225 / 300 = 0.75
    expect(limit.snapshot().limit).toBe(5); // 5.4
    slowCalls(limit, take, 3, 5000); // × 0.5, not 0.045
    expect(limit.snapshot().limit).toBe(2); // 2.7
  });

  it('does not read a change in the mix of operations as congestion', () => {
    const { limit, round } = setup();
    round('list', 100);
    round('event', 500); // five times slower, but normal for its operation
    round('list', 110);
    round('event', 520);
    expect(limit.snapshot().limit).toBe(8);
  });

  it('decreases once per congestion event: calls started before the decrease do not decrease it again', () => {
    const { limit, take } = setup({ initialLimit: 8, maxLimit: 8 });
    const before = take(8);
    for (const release of before) release({ operation: 'list', latencyMs: 100, dropped: true });
    expect(limit.snapshot().limit).toBe(7);
    take(1)[0]({ operation: 'list', latencyMs: 100, dropped: true });
    expect(limit.snapshot().limit).toBe(6); // 7.2 × 0.9 = 6.48
  });

  it('never goes below the minimum', () => {
    const { limit, take } = setup();
    for (let i = 0; i < 30; i += 1) {
      take(1)[0]({ operation: 'list', latencyMs: 100, dropped: true });
    }
    expect(limit.snapshot().limit).toBe(2);
  });

  it('recovers once latency is healthy again', async () => {
    const { limit, round, take } = setup({ initialLimit: 8, maxLimit: 8 });
    round('event', 500);
    slowCalls(limit, take, 3, 2000);
    expect(limit.snapshot().limit).toBe(4); // 8 × 1025 / 2000
    for (let i = 0; i < 3; i += 1) round('event', 500);
    expect(limit.snapshot().limit).toBe(7);
    const slots = take(7);
    const waiting = limit.acquire();
    slots[0]({ operation: 'event', latencyMs: 500, dropped: false });
    await expect(waiting).resolves.toEqual(expect.any(Function));
    expect(limit.snapshot()).toEqual({ limit: 7, inFlight: 7, queued: 0 });
  });

  it("forgets an operation's baseline after two windows, so a lasting change becomes the new normal", () => {
    const { limit, clock, take } = setup({ initialLimit: 8, maxLimit: 8 });
    take(1)[0]({ operation: 'event', latencyMs: 100, dropped: false });
    clock.advance(30_000);
    slowCalls(limit, take, 3, 400); // still judged on 100
    expect(limit.snapshot().limit).toBe(4); // 8 × 225 / 400
    clock.advance(30_000);
    slowCalls(limit, take, 3, 400); // judged on 400
    expect(limit.snapshot().limit).toBe(4);
  });
});
