import { toSeconds } from '../common';
import { Injectable, Logger } from '@nestjs/common';
import {
  CircuitBreakerRegistry,
  type CircuitBreaker,
  type CircuitBreakerSnapshot,
  type CircuitState,
} from '../circuit-breaker';
import { ApiError } from '../common/errors/api-error';

/** What operators see of a breaker. */
export interface CircuitBreakerStatus {
  readonly name: string;
  readonly state: CircuitState;
  readonly failuresInWindow: number;
  readonly callsInWindow: number;
  /** Outcomes and refusals since the process started (a reset does not clear them). */
  readonly totals: {
    readonly successes: number;
    readonly failures: number;
    readonly rejections: number;
  };
  /** Seconds until a call may be admitted again; 0 when one would be admitted now. */
  readonly retryAfter: number;
  readonly policy: string;
}

export interface CircuitBreakerActionResult extends CircuitBreakerStatus {
  /** The state the action found the breaker in. */
  readonly previousState: CircuitState;
}

/** What an operator can do to a breaker, by the last segment of its route. */
export const BREAKER_ACTIONS = {
  'force-open': (breaker) => breaker.forceOpen(),
  disable: (breaker) => breaker.disable(),
  reset: (breaker) => breaker.reset(),
} as const satisfies Record<string, (breaker: CircuitBreaker) => void>;

export type BreakerAction = keyof typeof BREAKER_ACTIONS;

export function toStatus(snapshot: CircuitBreakerSnapshot): CircuitBreakerStatus {
  return {
    name: snapshot.name,
    state: snapshot.state,
    failuresInWindow: snapshot.failuresInWindow,
    callsInWindow: snapshot.callsInWindow,
    totals: { ...snapshot.totals },
    retryAfter: toSeconds(snapshot.retryAfterMs),
    policy: snapshot.policy,
  };
}

export function breakerNotFound(name: string, known: readonly string[]): ApiError {
  return new ApiError({
    status: 404,
    code: 'BREAKER_NOT_FOUND',
    message: `No circuit breaker named "${name}" (known: ${known.join(', ')})`,
    log: 'none',
  });
}

/**
 * The operators' controls over this process's circuit breakers. Every action is written as one
 * audit line at warn (context `Admin`, with the request's correlation id), whether or not it
 * changed the state.
 */
@Injectable()
export class CircuitBreakerAdmin {
  private readonly logger = new Logger('Admin');

  constructor(private readonly registry: CircuitBreakerRegistry) {}

  list(): CircuitBreakerStatus[] {
    return this.registry.snapshots().map(toStatus);
  }

  apply(name: string, action: BreakerAction, clientAddress: string): CircuitBreakerActionResult {
    const breaker = this.registry.find(name);
    if (!breaker) {
      throw breakerNotFound(
        name,
        this.registry.list().map((known) => known.name),
      );
    }
    const previousState = breaker.state;
    BREAKER_ACTIONS[action](breaker);
    const status = toStatus(breaker.snapshot());
    this.logger.warn({
      msg: `Operator ${action} on circuit "${name}": ${previousState} -> ${status.state} (client ${clientAddress})`,
      audit: true,
      breaker: name,
      action,
      previousState,
      newState: status.state,
      clientAddress,
    });
    return { ...status, previousState };
  }
}
