import type { FakeClock } from './fake-clock';

/** One-shot timers on a FakeClock: `advance` moves the clock and fires what has come due, in order. */
export class FakeTimers {
  private pending: { at: number; fire: () => void }[] = [];

  constructor(readonly clock: FakeClock) {}

  /** Starts a timer; returns what cancels it (the shape of the limiter's `StartTimer`). */
  readonly start = (delayMs: number, fire: () => void): (() => void) => {
    const timer = { at: this.clock.now() + delayMs, fire };
    this.pending.push(timer);
    return () => void (this.pending = this.pending.filter((one) => one !== timer));
  };

  /** Timers started and neither fired nor cancelled. */
  get count(): number {
    return this.pending.length;
  }

  advance(ms: number): void {
    this.clock.advance(ms);
    const now = this.clock.now();
    const due = this.pending.filter((one) => one.at <= now).sort((a, b) => a.at - b.at);
    this.pending = this.pending.filter((one) => one.at > now);
    for (const timer of due) timer.fire();
  }
}
