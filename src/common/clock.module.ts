import { Global, Module } from '@nestjs/common';
import { monotonicClock, type Clock } from '../circuit-breaker';
import { CLOCK, WALL_CLOCK } from './clock';

/** The two clocks every module may inject (tests replace them with fake ones). */
@Global()
@Module({
  providers: [
    { provide: CLOCK, useValue: monotonicClock },
    { provide: WALL_CLOCK, useValue: { now: () => Date.now() } satisfies Clock },
  ],
  exports: [CLOCK, WALL_CLOCK],
})
export class ClockModule {}
