import { toSeconds } from '../common';
import { CircuitOpenError, type CallClassification, type RejectingState } from '../circuit-breaker';
import { ApiError, type Problem } from '../common/errors/api-error';
import type { ConcurrencyRefusalReason } from '../load-control/adaptive-concurrency-limit';
import type { ErrorCode } from '../common/errors/error-codes';
import { withoutStackTrace } from '../common/errors/without-stack-trace';

/** How an upstream call ended, as a metric label (`upstream_requests_total{outcome}`). */
export type UpstreamOutcome =
  | 'success'
  | 'http_4xx'
  | 'http_5xx'
  | 'http_other'
  | 'timeout'
  | 'network'
  | 'malformed'
  | 'rejected'
  /** A hedged read's losing attempt, aborted because the other one answered: no failure. */
  | 'cancelled'
  /** Refused by the concurrency limit: no call made. */
  | 'overloaded'
  | 'error';

/** Everything the gateway concludes from one kind of upstream failure, decided in one place. */
export interface UpstreamVerdict {
  /** The metric label. */
  readonly outcome: UpstreamOutcome;
  /** Whether an idempotent read may be tried once more. */
  readonly retryable: boolean;
  /** What it means to the circuit breaker. */
  readonly breaker: CallClassification;
  /** Whether the upstream may have acted on the request (a write may have been stored). */
  readonly effectUnknown: boolean;
}

/**
 * A failure of the upstream Event API, or a call a breaker refused. The client throws only these;
 * each kind carries its verdict (metrics, retry, breaker) and its HTTP answer, so no consumer
 * re-inspects the class hierarchy.
 */
export abstract class EventApiError extends ApiError {
  abstract readonly verdict: UpstreamVerdict;
  /** Every upstream failure, a breaker's refusal included, is the source's failure. */
  override readonly sourceFailed = true;
}

function upstreamProblem(
  status: number,
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): Problem {
  return { status, code, message, log: 'warn', ...(details ? { details } : {}) };
}

/** The upstream answered with a status the gateway cannot use (5xx, unexpected 4xx or 3xx). */
export class UpstreamHttpError extends EventApiError {
  override readonly name = 'UpstreamHttpError';
  readonly verdict: UpstreamVerdict;

  constructor(readonly upstreamStatus: number) {
    const server = upstreamStatus >= 500;
    const client = upstreamStatus >= 400 && upstreamStatus < 500;
    super(
      upstreamProblem(
        502,
        client ? 'UPSTREAM_REJECTED_REQUEST' : 'UPSTREAM_BAD_STATUS',
        `The Event API answered with status ${upstreamStatus}`,
        { upstreamStatus },
      ),
    );
    this.verdict = {
      outcome: server ? 'http_5xx' : client ? 'http_4xx' : 'http_other',
      retryable: server,
      // A 4xx means the upstream is up and judged our request; anything else is not a usable answer.
      breaker: client ? 'success' : 'failure',
      effectUnknown: server,
    };
  }
}

/** The connection failed: refused, reset, DNS, closed before a complete answer. */
export class UpstreamNetworkError extends EventApiError {
  override readonly name = 'UpstreamNetworkError';
  readonly verdict: UpstreamVerdict = {
    outcome: 'network',
    retryable: true,
    breaker: 'failure',
    effectUnknown: true,
  };

  constructor(readonly socketCode: string | undefined) {
    super(upstreamProblem(502, 'UPSTREAM_UNREACHABLE', 'The Event API could not be reached'));
  }
}

/** No complete answer before the deadline. Not retried: the client has waited long enough. */
export class UpstreamTimeoutError extends EventApiError {
  override readonly name = 'UpstreamTimeoutError';
  readonly verdict: UpstreamVerdict = {
    outcome: 'timeout',
    retryable: false,
    breaker: 'failure',
    effectUnknown: true,
  };

  constructor(readonly timeoutMs: number) {
    super(
      upstreamProblem(
        504,
        'UPSTREAM_TIMEOUT',
        `The Event API did not answer within ${timeoutMs} ms`,
      ),
    );
  }
}

/** The upstream answered 2xx, but with a body of the wrong shape (the reason is only logged). */
export class UpstreamMalformedResponseError extends EventApiError {
  override readonly name = 'UpstreamMalformedResponseError';
  readonly verdict: UpstreamVerdict;

  /** @param effectUnknown a write's answer too garbled to say whether it stored the event */
  constructor(
    readonly reason: string,
    { effectUnknown = false }: { effectUnknown?: boolean } = {},
  ) {
    super(
      upstreamProblem(
        502,
        'UPSTREAM_MALFORMED_RESPONSE',
        'The Event API answered with a malformed body',
      ),
    );
    this.verdict = { outcome: 'malformed', retryable: false, breaker: 'failure', effectUnknown };
    this.message = `The Event API answered with a malformed body: ${reason}`;
  }
}

export const CIRCUIT_OPEN_MESSAGE =
  'Event service is currently experiencing issues. Please try again later.';

/**
 * A circuit breaker refused the call: no upstream call was made. Answered 503 with `Retry-After`
 * and the original system's fields (`success`, `retryAfter`, `circuitBreakerState`). Built without
 * a stack trace: it is expected control flow, answered thousands of times a second while open.
 */
export class UpstreamCircuitOpenError extends EventApiError {
  override readonly name = 'UpstreamCircuitOpenError';
  readonly verdict: UpstreamVerdict = {
    outcome: 'rejected',
    retryable: false,
    breaker: 'ignore',
    effectUnknown: false,
  };

  /** Prefer `of` or `from`, which skip the stack trace. */
  constructor(
    readonly breaker: string,
    readonly state: RejectingState,
    readonly retryAfterMs: number,
  ) {
    const retryAfter = Math.max(1, toSeconds(retryAfterMs));
    super({
      status: 503,
      code: 'CIRCUIT_OPEN',
      error: 'Service temporarily unavailable',
      message: CIRCUIT_OPEN_MESSAGE,
      details: { success: false, retryAfter, circuitBreakerState: state },
      headers: { 'retry-after': String(retryAfter) },
      log: 'none',
    });
    this.message = `Circuit breaker "${breaker}" is ${state}; call rejected without contacting the upstream`;
  }

  static of(
    breaker: string,
    state: RejectingState,
    retryAfterMs: number,
  ): UpstreamCircuitOpenError {
    return withoutStackTrace(() => new UpstreamCircuitOpenError(breaker, state, retryAfterMs));
  }

  static from(refusal: CircuitOpenError): UpstreamCircuitOpenError {
    return UpstreamCircuitOpenError.of(refusal.breaker, refusal.state, refusal.retryAfterMs);
  }
}

export const OVERLOADED_MESSAGE =
  'The gateway is at its limit of calls to the Event API. Please try again shortly.';

/** The `Retry-After` of an overload refusal: short, the limit frees slots within round trips. */
export const OVERLOADED_RETRY_AFTER_SECONDS = 1;

/**
 * The gateway's adaptive concurrency limit toward the upstream refused the call (its wait queue
 * was full, the wait passed its timeout, or a hedge found no free slot): no upstream call was
 * made. Answered 503 with `Retry-After`; like a breaker's refusal it is no outcome for the
 * breaker, never retried, and a read with a stored copy is answered from it (stale-if-error).
 */
export class UpstreamOverloadedError extends EventApiError {
  override readonly name = 'UpstreamOverloadedError';
  readonly verdict: UpstreamVerdict = {
    outcome: 'overloaded',
    retryable: false,
    breaker: 'ignore',
    effectUnknown: false,
  };

  /** Prefer `of`, which skips the stack trace. */
  constructor(readonly reason: ConcurrencyRefusalReason) {
    const retryAfter = OVERLOADED_RETRY_AFTER_SECONDS;
    super({
      status: 503,
      code: 'UPSTREAM_OVERLOADED',
      error: 'Service temporarily unavailable',
      message: OVERLOADED_MESSAGE,
      details: { retryAfter },
      headers: { 'retry-after': String(retryAfter) },
      log: 'none',
    });
    this.message = `Concurrency limit toward the Event API refused the call (${reason}); no upstream call was made`;
  }

  static of(reason: ConcurrencyRefusalReason): UpstreamOverloadedError {
    return withoutStackTrace(() => new UpstreamOverloadedError(reason));
  }
}

// Guards for axios's errors, written against the fields axios sets rather than imported: this file is
// CommonJS, @nestjs/axios loads axios's ESM build, and importing the CommonJS one as well would
// load a second copy of axios for two one-line checks.
interface AxiosLikeError {
  readonly isAxiosError: true;
  readonly code?: string;
  readonly message: string;
  readonly response?: { readonly status: number };
}

function isAxiosError(error: unknown): error is AxiosLikeError {
  return (error as { isAxiosError?: unknown } | null)?.isAxiosError === true;
}

/** axios marks its cancellations (an aborted signal included) with `__CANCEL__`. */
function isCancel(error: unknown): boolean {
  return (error as { __CANCEL__?: unknown } | null)?.__CANCEL__ === true;
}

function isTimeoutReason(reason: unknown): boolean {
  return (reason as { name?: unknown } | undefined)?.name === 'TimeoutError';
}

/**
 * Turns whatever an upstream call threw (axios errors, a breaker's refusal, a parser's verdict)
 * into an `EventApiError`. The only place that inspects axios errors. Anything else (a client's
 * cancellation, a bug) is returned as it is and is no outcome for the breaker.
 */
export function toEventApiError(error: unknown, timeoutMs: number): unknown {
  if (error instanceof EventApiError) return error;
  if (error instanceof CircuitOpenError) return UpstreamCircuitOpenError.from(error);
  if (isCancel(error)) {
    // The deadline fires through an AbortSignal whose reason is a TimeoutError.
    const signal = (error as { config?: { signal?: { reason?: unknown } } }).config?.signal;
    return isTimeoutReason(signal?.reason) ? new UpstreamTimeoutError(timeoutMs) : error;
  }
  if (isAxiosError(error)) {
    const status = error.response?.status;
    if (status !== undefined && (status < 200 || status >= 300)) {
      return new UpstreamHttpError(status);
    }
    if (/maxContentLength|maxBodyLength/.test(error.message)) {
      return new UpstreamMalformedResponseError('body larger than the allowed size');
    }
    // No answer at all, or a 2xx whose body never arrived whole (the connection dropped after the
    // headers): the connection failed, not the status.
    return new UpstreamNetworkError(error.code);
  }
  return error;
}

/** What an error (translated or not) means to the breaker. */
export function breakerVerdict(error: unknown): CallClassification {
  return error instanceof EventApiError ? error.verdict.breaker : 'ignore';
}
