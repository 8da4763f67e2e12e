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
 * A read's extra attempt (docs/resilience.md, "Hedged reads and the retry budget"): a hedge the
 * breaker admitted (`sent`, reported as it ends) and a hedge whose answer was used (`won`), or an
 * extra attempt, hedge or retry, that the retry budget refused (`refused`: none was made).
 */
export interface ExtraAttemptEvent {
  readonly operation: UpstreamOperation;
  readonly kind: 'hedge' | 'retry';
  readonly result: 'sent' | 'won' | 'refused';
}

/**
 * Where the Event API client reports its calls. Metrics (and later tracing) subscribe to it, so
 * the client depends on nobody who watches it.
 */
@Injectable()
export class UpstreamCallEvents extends Emitter<UpstreamCallEvent> {
  /** Hedges and refusals by the retry budget, beside the attempts themselves. */
  readonly extraAttempts = new Emitter<ExtraAttemptEvent>();
}
