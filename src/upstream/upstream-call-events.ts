import { Emitter } from '../common';
import { Injectable } from '@nestjs/common';

import type { UpstreamOutcome } from './event-api.errors';

/** The upstream operations, as named in metrics, logs and spans. */
export type UpstreamOperation =
  'getUsers' | 'getUserById' | 'getEvents' | 'getEventById' | 'addEvent';

/** One finished upstream call attempt (a retry is a second one), or a refusal by a breaker. */
export interface UpstreamCallEvent {
  readonly operation: UpstreamOperation;
  readonly breaker: string;
  readonly outcome: UpstreamOutcome;
  /** Wall time of the attempt; 0 for a refusal (no call was made). */
  readonly durationSeconds: number;
}

/**
 * Where the Event API client reports its calls. Metrics (and later tracing) subscribe to it, so
 * the client depends on nobody who watches it.
 */
@Injectable()
export class UpstreamCallEvents extends Emitter<UpstreamCallEvent> {}
