import type { Clock } from '../common/clock';

/** A clock that only moves when a test says so. */
export class FakeClock implements Clock {
  constructor(private time = 1_000_000) {}

  now(): number {
    return this.time;
  }

  advance(ms: number): void {
    this.time += ms;
  }
}
