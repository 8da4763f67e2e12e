import { hedged, HedgedCallFailed, isLostRace, LostRace, type AttemptRole } from './hedged';
import { deferred } from '../testing/deferred';

/** A hedge delay that passes when the test says so, and records whether it was cleared. */
function manualDelay() {
  let fire: (() => void) | undefined;
  let cancelled = false;
  let asked: number | undefined;
  return {
    timers: (ms: number, onPassed: () => void) => {
      asked = ms;
      fire = onPassed;
      return () => {
        cancelled = true;
      };
    },
    pass: () => fire?.(),
    cancelled: () => cancelled,
    asked: () => asked,
  };
}

/** Attempts the test settles one by one, each with the signal it was given. */
function controlledAttempts<T>() {
  const started: {
    role: AttemptRole;
    signal: AbortSignal;
    /** Tells the hedged call the attempt's request has left. */
    sent: () => void;
    answer: ReturnType<typeof deferred<T>>;
  }[] = [];
  const attempt = (role: AttemptRole, signal: AbortSignal, sent: () => void) => {
    const answer = deferred<T>();
    started.push({ role, signal, sent, answer });
    return answer.promise;
  };
  return { attempt, started, get: (role: AttemptRole) => started.find((a) => a.role === role)! };
}

/** Lets every pending promise job run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('hedged', () => {
  it('starts no second attempt when the first succeeds before the delay, and clears the timer', async () => {
    const delay = manualDelay();
    const attempts = controlledAttempts<string>();
    const mayHedge = jest.fn(() => true);
    const call = hedged(attempts.attempt, { delayMs: 50, mayHedge, timers: delay.timers });
    attempts.get('first').answer.resolve('fast');
    await expect(call).resolves.toEqual({ value: 'fast', winner: 'first', hedged: false });
    expect(delay.asked()).toBe(50);
    expect(delay.cancelled()).toBe(true);
    expect(attempts.started).toHaveLength(1);
    expect(mayHedge).not.toHaveBeenCalled();
  });

  it('starts no second attempt when the first fails before the delay, and throws its error', async () => {
    const delay = manualDelay();
    const attempts = controlledAttempts<string>();
    const mayHedge = jest.fn(() => true);
    const call = hedged(attempts.attempt, { delayMs: 50, mayHedge, timers: delay.timers });
    const boom = new Error('boom');
    attempts.get('first').answer.reject(boom);
    await expect(call).rejects.toEqual(new HedgedCallFailed(boom, false));
    await expect(call).rejects.toMatchObject({ firstError: boom, hedged: false });
    expect(attempts.started).toHaveLength(1);
    expect(mayHedge).not.toHaveBeenCalled();
  });

  it('starts exactly one hedge once the delay passes; the hedge wins and the first is aborted', async () => {
    const delay = manualDelay();
    const attempts = controlledAttempts<string>();
    const call = hedged(attempts.attempt, {
      delayMs: 50,
      mayHedge: () => true,
      timers: delay.timers,
    });
    delay.pass();
    await settle();
    expect(attempts.started.map((a) => a.role)).toEqual(['first', 'hedge']);
    attempts.get('hedge').answer.resolve('from the hedge');
    await expect(call).resolves.toEqual({ value: 'from the hedge', winner: 'hedge', hedged: true });
    const first = attempts.get('first').signal;
    expect(first.aborted).toBe(true);
    expect(isLostRace(first.reason)).toBe(true);
    expect((first.reason as LostRace).winner).toBe('hedge');
    expect(attempts.get('hedge').signal.aborted).toBe(false);
    expect(attempts.started).toHaveLength(2);
  });

  it('aborts the hedge when the first answers first after all', async () => {
    const delay = manualDelay();
    const attempts = controlledAttempts<string>();
    const call = hedged(attempts.attempt, {
      delayMs: 50,
      mayHedge: () => true,
      timers: delay.timers,
    });
    delay.pass();
    await settle();
    attempts.get('first').answer.resolve('from the first');
    await expect(call).resolves.toEqual({ value: 'from the first', winner: 'first', hedged: true });
    expect(isLostRace(attempts.get('hedge').signal.reason)).toBe(true);
    expect(attempts.get('first').signal.aborted).toBe(false);
  });

  it('starts no hedge when mayHedge refuses, and waits for the first', async () => {
    const delay = manualDelay();
    const attempts = controlledAttempts<string>();
    const mayHedge = jest.fn(() => false);
    const call = hedged(attempts.attempt, { delayMs: 50, mayHedge, timers: delay.timers });
    delay.pass();
    await settle();
    expect(mayHedge).toHaveBeenCalledTimes(1);
    attempts.get('first').answer.resolve('slow');
    await expect(call).resolves.toEqual({ value: 'slow', winner: 'first', hedged: false });
    expect(attempts.started).toHaveLength(1);
  });

  it('waits for the other attempt when one fails while it still runs', async () => {
    const delay = manualDelay();
    const attempts = controlledAttempts<string>();
    const call = hedged(attempts.attempt, {
      delayMs: 50,
      mayHedge: () => true,
      timers: delay.timers,
    });
    delay.pass();
    await settle();
    attempts.get('first').answer.reject(new Error('first failed'));
    await settle();
    expect(attempts.get('hedge').signal.aborted).toBe(false);
    attempts.get('hedge').answer.resolve('hedge saved it');
    await expect(call).resolves.toEqual({ value: 'hedge saved it', winner: 'hedge', hedged: true });
  });

  it('waits for the first when the hedge fails (a hedge the breaker refused)', async () => {
    const delay = manualDelay();
    const attempts = controlledAttempts<string>();
    const call = hedged(attempts.attempt, {
      delayMs: 50,
      mayHedge: () => true,
      timers: delay.timers,
    });
    delay.pass();
    await settle();
    attempts.get('hedge').answer.reject(new Error('refused'));
    await settle();
    attempts.get('first').answer.resolve('first after all');
    await expect(call).resolves.toEqual({
      value: 'first after all',
      winner: 'first',
      hedged: true,
    });
  });

  it.each([
    ['the first fails first', ['first', 'hedge'] as const],
    ['the hedge fails first', ['hedge', 'first'] as const],
  ])('throws the first attempt’s error when both fail (%s)', async (_, order) => {
    const delay = manualDelay();
    const attempts = controlledAttempts<string>();
    const call = hedged(attempts.attempt, {
      delayMs: 50,
      mayHedge: () => true,
      timers: delay.timers,
    });
    delay.pass();
    await settle();
    const failure = call.catch((error: unknown) => error);
    const errors = { first: new Error('first'), hedge: new Error('hedge') };
    for (const role of order) {
      attempts.get(role).answer.reject(errors[role]);
      await settle();
    }
    expect(await failure).toMatchObject({ firstError: errors.first, hedged: true });
  });

  it("with delayFrom 'sent', starts the delay only once the first attempt is sent", async () => {
    const delay = manualDelay();
    const attempts = controlledAttempts<string>();
    const call = hedged(attempts.attempt, {
      delayMs: 50,
      delayFrom: 'sent',
      mayHedge: () => true,
      timers: delay.timers,
    });
    await settle();
    expect(delay.asked()).toBeUndefined(); // still waiting for a slot, say: no clock runs

    attempts.get('first').sent();
    await settle();
    expect(delay.asked()).toBe(50);
    delay.pass();
    await settle();
    expect(attempts.started.map((a) => a.role)).toEqual(['first', 'hedge']);
    attempts.get('hedge').answer.resolve('hedge');
    await expect(call).resolves.toEqual({ value: 'hedge', winner: 'hedge', hedged: true });
  });

  it("with delayFrom 'sent', a first attempt that settles before it is sent is never hedged", async () => {
    const delay = manualDelay();
    const attempts = controlledAttempts<string>();
    const mayHedge = jest.fn(() => true);
    const call = hedged(attempts.attempt, {
      delayMs: 50,
      delayFrom: 'sent',
      mayHedge,
      timers: delay.timers,
    });
    const refused = new Error('no slot');
    attempts.get('first').answer.reject(refused);

    await expect(call).rejects.toMatchObject({ firstError: refused, hedged: false });
    expect(delay.asked()).toBeUndefined();
    expect(mayHedge).not.toHaveBeenCalled();
    expect(attempts.started).toHaveLength(1);
  });

  it('with an infinite delay never hedges and starts no timer', async () => {
    const timers = jest.fn();
    const attempts = controlledAttempts<string>();
    const call = hedged(attempts.attempt, { delayMs: Infinity, mayHedge: () => true, timers });
    attempts.get('first').answer.resolve('only');
    await expect(call).resolves.toEqual({ value: 'only', winner: 'first', hedged: false });
    expect(timers).not.toHaveBeenCalled();
  });

  it('counts a synchronous throw as a failed attempt', async () => {
    const boom = new Error('sync');
    const call = hedged<string>(
      () => {
        throw boom;
      },
      { delayMs: 50, mayHedge: () => true },
    );
    await expect(call).rejects.toMatchObject({ firstError: boom, hedged: false });
  });

  it('hedges on a real timer too', async () => {
    const attempts = controlledAttempts<string>();
    const call = hedged(attempts.attempt, { delayMs: 1, mayHedge: () => true });
    while (attempts.started.length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
    attempts.get('hedge').answer.resolve('hedge');
    await expect(call).resolves.toMatchObject({ winner: 'hedge' });
  });

  it('refuses a negative or NaN delay', async () => {
    const attempt = jest.fn();
    for (const delayMs of [-1, Number.NaN]) {
      await expect(hedged(attempt, { delayMs, mayHedge: () => true })).rejects.toThrow(
        /delayMs must be 0 or more/,
      );
    }
    expect(attempt).not.toHaveBeenCalled();
  });
});
