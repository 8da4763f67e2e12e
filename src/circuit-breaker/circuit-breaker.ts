import {
  backoffMs,
  Emitter,
  monotonicClock,
  type BackoffOptions,
  type Clock,
  type Disposable,
} from '../common';
import { CircuitState, type RejectingState } from './circuit-state';
import type { CallOutcome, TripPolicy } from './trip-policies';

export interface CircuitBreakerOptions {
  /** Unique name, e.g. `event-api.read`; the registry, logs, health and metrics use it. */
  readonly name: string;
  /** This breaker's own policy instance (policies hold state). */
  readonly policy: TripPolicy;
  readonly backoff: BackoffOptions;
  /** Probe calls allowed in flight at once while HALF_OPEN. Default 1. */
  readonly halfOpenMaxProbes?: number;
  /**
   * A probe that has not reported its outcome after this long counts as a failed probe, so a
   * permit that is never settled (a caller's bug) cannot wedge the breaker HALF_OPEN. Set it a
   * little above the upstream timeout.
   */
  readonly probeTimeoutMs: number;
  /** Defaults to the monotonic clock. */
  readonly clock?: Clock;
  /** Returns a number in [0, 1); drives the backoff jitter. */
  readonly random?: () => number;
}

/** Why a transition happened; carried by state-change events and logged. */
export type TransitionReason =
  | 'failure-threshold'
  | 'wait-elapsed'
  | 'probe-succeeded'
  | 'probe-failed'
  | 'probe-timed-out'
  | 'forced-open'
  | 'disabled'
  | 'manual-reset';

export interface CircuitStateChange {
  readonly breaker: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly reason: TransitionReason;
  readonly at: number;
  /** Failures the policy counted when it opened from CLOSED. */
  readonly failuresInWindow: number;
  readonly failedProbes: number;
  /** Only when `to` is OPEN: how long it stays open. */
  readonly waitMs?: number;
}

/** A read-only view of a breaker, for health, metrics, operators and tests. */
export interface CircuitBreakerSnapshot {
  readonly name: string;
  readonly state: CircuitState;
  readonly policy: string;
  readonly failuresInWindow: number;
  readonly callsInWindow: number;
  readonly failedProbes: number;
  readonly probesInFlight: number;
  /** Clock time the circuit last opened; only while OPEN or HALF_OPEN. */
  readonly openedAt?: number;
  /** How long until a call may be admitted again; 0 when one would be admitted now. */
  readonly retryAfterMs: number;
  readonly totals: {
    readonly successes: number;
    readonly failures: number;
    readonly rejections: number;
  };
}

/**
 * An admitted call. Report its outcome exactly once with `success()` or `failure()`, or `release()`
 * it if the call ended without an upstream outcome (cancelled by the client, for example). Later
 * reports are ignored.
 */
export interface CallPermit {
  readonly admitted: true;
  success(): void;
  failure(): void;
  release(): void;
}

/** A call the breaker refused: no upstream call must be made. */
export interface CallRejection {
  readonly admitted: false;
  readonly state: RejectingState;
  readonly retryAfterMs: number;
}

/** What a finished call means to the breaker; `ignore` ends it without an outcome. */
export type CallClassification = CallOutcome | 'ignore';

type InternalState =
  | { readonly kind: CircuitState.Closed }
  | {
      readonly kind: CircuitState.Open;
      readonly openedAt: number;
      readonly waitMs: number;
      readonly failedProbes: number;
    }
  | {
      readonly kind: CircuitState.HalfOpen;
      readonly openedAt: number;
      readonly failedProbes: number;
      /** Probe permit id → the time it was admitted. */
      readonly probes: Map<number, number>;
    }
  | { readonly kind: CircuitState.ForcedOpen }
  | { readonly kind: CircuitState.Disabled };

/**
 * A circuit breaker with a pluggable trip policy, exponential backoff with jitter and a bounded
 * number of HALF_OPEN probes. Plain TypeScript: no timers, no framework imports. Time only moves
 * through the injected clock, and OPEN → HALF_OPEN is decided lazily whenever the breaker is used
 * or read, so nothing keeps a process alive or leaks between tests.
 *
 * A call is guarded by a permit: `tryAcquire()` admits it (or refuses it), and the adapter that
 * owns the call settles the permit once with its outcome. Permits suit adapters whose call starts
 * and ends in different callbacks (HTTP client interceptors).
 *
 * Outcomes of calls admitted under an earlier state (for example a slow call admitted while CLOSED
 * that fails after the circuit opened) count in the totals but never move the state: only calls
 * admitted in the current state decide its next one.
 */
export class CircuitBreaker {
  readonly name: string;
  private readonly policy: TripPolicy;
  private readonly backoff: BackoffOptions;
  private readonly halfOpenMaxProbes: number;
  private readonly probeTimeoutMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly changes = new Emitter<CircuitStateChange>();

  private current: InternalState = { kind: CircuitState.Closed };
  /** Bumped on every transition; a permit from another epoch cannot move the state. */
  private epoch = 0;
  private nextPermitId = 1;
  private successes = 0;
  private failures = 0;
  private rejections = 0;

  constructor(options: CircuitBreakerOptions) {
    const maxProbes = options.halfOpenMaxProbes ?? 1;
    if (!Number.isInteger(maxProbes) || maxProbes < 1) {
      throw new RangeError(`halfOpenMaxProbes must be a positive integer, got ${maxProbes}`);
    }
    if (!(options.probeTimeoutMs > 0)) {
      throw new RangeError(`probeTimeoutMs must be positive, got ${options.probeTimeoutMs}`);
    }
    this.name = options.name;
    this.policy = options.policy;
    this.backoff = options.backoff;
    this.halfOpenMaxProbes = maxProbes;
    this.probeTimeoutMs = options.probeTimeoutMs;
    this.clock = options.clock ?? monotonicClock;
    this.random = options.random ?? Math.random;
  }

  /** The current state, after applying any transition that is due. */
  get state(): CircuitState {
    this.advance(this.clock.now());
    return this.current.kind;
  }

  /**
   * Admits a call (returns a permit whose outcome must be reported) or rejects it (no upstream
   * call may be made). Rejections are counted but are not outcomes.
   */
  tryAcquire(): CallPermit | CallRejection {
    const now = this.clock.now();
    const rejection = this.rejection(now);
    if (rejection) return rejection;
    const state = this.current;
    const permit = this.permit();
    if (state.kind === CircuitState.HalfOpen) state.probes.set(permit.id, now);
    return permit;
  }

  /**
   * The rejection a call made now would get, counted as one, or `undefined` if it would be admitted.
   * Takes no permit: for callers that must refuse before doing work that only matters if the call
   * can be made (a create that would first look its user up upstream).
   */
  preflight(): CallRejection | undefined {
    return this.rejection(this.clock.now());
  }

  /** Listens to transitions. Listener errors are swallowed: they must not break the breaker. */
  onStateChange(listener: (change: CircuitStateChange) => void): Disposable {
    return this.changes.on(listener);
  }

  snapshot(): CircuitBreakerSnapshot {
    const now = this.clock.now();
    this.advance(now);
    const state = this.current;
    const counts = this.policy.counts(now);
    const base = {
      name: this.name,
      state: state.kind,
      policy: this.policy.describe(),
      failuresInWindow: counts.failures,
      callsInWindow: counts.calls,
      failedProbes: 0,
      probesInFlight: 0,
      retryAfterMs: 0,
      totals: { successes: this.successes, failures: this.failures, rejections: this.rejections },
    };
    switch (state.kind) {
      case CircuitState.Closed:
      case CircuitState.Disabled:
        return base;
      case CircuitState.ForcedOpen:
        return { ...base, retryAfterMs: this.backoff.baseMs };
      case CircuitState.Open:
        return {
          ...base,
          failedProbes: state.failedProbes,
          openedAt: state.openedAt,
          retryAfterMs: state.openedAt + state.waitMs - now,
        };
      case CircuitState.HalfOpen:
        return {
          ...base,
          failedProbes: state.failedProbes,
          probesInFlight: state.probes.size,
          openedAt: state.openedAt,
          retryAfterMs:
            state.probes.size < this.halfOpenMaxProbes ? 0 : this.probeRetryAfter(state, now),
        };
    }
  }

  /** Back to CLOSED with an empty history and backoff, from any state (operators, tests). */
  reset(): void {
    this.policy.reset();
    if (this.current.kind !== CircuitState.Closed) {
      this.transition({ kind: CircuitState.Closed }, 'manual-reset', this.clock.now(), 0);
    }
  }

  /** Refuses every call until `reset()`, whatever the upstream does (an operator's decision). */
  forceOpen(): void {
    if (this.current.kind === CircuitState.ForcedOpen) return;
    this.transition({ kind: CircuitState.ForcedOpen }, 'forced-open', this.clock.now(), 0);
  }

  /** Lets every call through and never trips until `reset()`; outcomes still count in totals. */
  disable(): void {
    if (this.current.kind === CircuitState.Disabled) return;
    this.policy.reset();
    this.transition({ kind: CircuitState.Disabled }, 'disabled', this.clock.now(), 0);
  }

  /** The rejection for a call at `now` (counted), or undefined when one would be admitted. */
  private rejection(now: number): CallRejection | undefined {
    this.advance(now);
    const state = this.current;
    let retryAfterMs: number;
    switch (state.kind) {
      case CircuitState.Closed:
      case CircuitState.Disabled:
        return undefined;
      case CircuitState.HalfOpen:
        if (state.probes.size < this.halfOpenMaxProbes) return undefined;
        retryAfterMs = this.probeRetryAfter(state, now);
        break;
      case CircuitState.Open:
        retryAfterMs = state.openedAt + state.waitMs - now;
        break;
      case CircuitState.ForcedOpen:
        retryAfterMs = this.backoff.baseMs;
        break;
    }
    this.rejections += 1;
    return { admitted: false, state: state.kind, retryAfterMs };
  }

  private permit(): CallPermit & { readonly id: number } {
    const id = this.nextPermitId++;
    const epoch = this.epoch;
    let settled = false;
    const report = (outcome: CallOutcome | undefined): void => {
      if (settled) return;
      settled = true;
      this.settle(id, epoch, outcome);
    };
    return {
      admitted: true,
      id,
      success: () => report('success'),
      failure: () => report('failure'),
      release: () => report(undefined),
    };
  }

  private settle(id: number, epoch: number, outcome: CallOutcome | undefined): void {
    const now = this.clock.now();
    if (outcome === 'success') this.successes += 1;
    if (outcome === 'failure') this.failures += 1;
    this.advance(now);
    if (epoch !== this.epoch) return;
    const state = this.current;
    switch (state.kind) {
      case CircuitState.Closed: {
        if (outcome === undefined) return;
        if (this.policy.record(outcome, now)) {
          this.open(now, 0, 'failure-threshold', this.policy.counts(now).failures);
        }
        return;
      }
      case CircuitState.HalfOpen: {
        state.probes.delete(id);
        if (outcome === 'success') this.close(now, 'probe-succeeded');
        if (outcome === 'failure') this.open(now, state.failedProbes + 1, 'probe-failed', 0);
        return;
      }
      default:
        return; // DISABLED counts totals only; OPEN and FORCED_OPEN issue no permits
    }
  }

  /** Applies the transitions that time alone makes due. */
  private advance(now: number): void {
    for (;;) {
      const state = this.current;
      if (state.kind === CircuitState.Open && now >= state.openedAt + state.waitMs) {
        this.transition(
          {
            kind: CircuitState.HalfOpen,
            openedAt: state.openedAt,
            failedProbes: state.failedProbes,
            probes: new Map(),
          },
          'wait-elapsed',
          state.openedAt + state.waitMs,
          0,
        );
        continue;
      }
      if (state.kind === CircuitState.HalfOpen) {
        const expiredAt = this.earliestProbeExpiry(state);
        if (expiredAt !== undefined && now >= expiredAt) {
          this.open(expiredAt, state.failedProbes + 1, 'probe-timed-out', 0);
          continue;
        }
      }
      return;
    }
  }

  private open(
    at: number,
    failedProbes: number,
    reason: TransitionReason,
    failuresInWindow: number,
  ): void {
    const waitMs = backoffMs(failedProbes, this.backoff, this.random);
    this.transition(
      { kind: CircuitState.Open, openedAt: at, waitMs, failedProbes },
      reason,
      at,
      failuresInWindow,
    );
  }

  private close(at: number, reason: TransitionReason): void {
    this.policy.reset();
    this.transition({ kind: CircuitState.Closed }, reason, at, 0);
  }

  private transition(
    next: InternalState,
    reason: TransitionReason,
    at: number,
    failuresInWindow: number,
  ): void {
    const from = this.current.kind;
    this.current = next;
    this.epoch += 1;
    const failedProbes =
      next.kind === CircuitState.Open || next.kind === CircuitState.HalfOpen
        ? next.failedProbes
        : 0;
    this.changes.emit({
      breaker: this.name,
      from,
      to: next.kind,
      reason,
      at,
      failuresInWindow,
      failedProbes,
      ...(next.kind === CircuitState.Open ? { waitMs: next.waitMs } : {}),
    });
  }

  private earliestProbeExpiry(state: { readonly probes: Map<number, number> }): number | undefined {
    let earliest: number | undefined;
    for (const startedAt of state.probes.values()) {
      if (earliest === undefined || startedAt < earliest) earliest = startedAt;
    }
    return earliest === undefined ? undefined : earliest + this.probeTimeoutMs;
  }

  private probeRetryAfter(state: { readonly probes: Map<number, number> }, now: number): number {
    const expiry = this.earliestProbeExpiry(state);
    return expiry === undefined ? 0 : Math.max(0, expiry - now);
  }
}

/** Reports a classification on a permit (a permit is settled once; later reports are no-ops). */
export function settle(permit: CallPermit, classification: CallClassification): void {
  if (classification === 'success') permit.success();
  else if (classification === 'failure') permit.failure();
  else permit.release();
}
