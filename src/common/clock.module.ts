import { Module } from '@nestjs/common';
import { CLOCK, monotonicClock, WALL_CLOCK, wallClock } from './clock';

/** The two clocks, for the modules that measure time (tests replace them with fake ones). */
@Module({
  providers: [
    { provide: CLOCK, useValue: monotonicClock },
    { provide: WALL_CLOCK, useValue: wallClock },
  ],
  exports: [CLOCK, WALL_CLOCK],
})
export class ClockModule {}
