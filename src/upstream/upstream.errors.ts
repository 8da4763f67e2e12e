/**
 * Typed failures of the upstream Event API. The EventGateway throws only these (and
 * `CircuitOpenError`); the global exception filter maps them to HTTP in one place.
 */
export abstract class UpstreamError extends Error {
  /** Whether the call may be retried (idempotent reads only). */
  abstract readonly retryable: boolean;
  /** Whether the breaker counts this as a failure of the upstream. */
  abstract readonly breakerFailure: boolean;
}

/** The upstream answered with a status the gateway cannot use (5xx, unexpected 4xx or 3xx). */
export class UpstreamHttpError extends UpstreamError {
  override readonly name = 'UpstreamHttpError';
  readonly retryable: boolean;
  readonly breakerFailure: boolean;

  constructor(readonly upstreamStatus: number) {
    super(`The Event API answered with status ${upstreamStatus}`);
    this.retryable = upstreamStatus >= 500;
    // A 4xx means the upstream is up and judged our request; anything else is not a usable answer.
    this.breakerFailure = upstreamStatus < 400 || upstreamStatus >= 500;
  }
}

/** The connection failed: refused, reset, DNS, closed before a complete answer. */
export class UpstreamNetworkError extends UpstreamError {
  override readonly name = 'UpstreamNetworkError';
  readonly retryable = true;
  readonly breakerFailure = true;

  constructor(readonly code: string | undefined) {
    super(`The Event API could not be reached${code ? ` (${code})` : ''}`);
  }
}

/** No complete answer within the configured timeout. Not retried: the client has waited already. */
export class UpstreamTimeoutError extends UpstreamError {
  override readonly name = 'UpstreamTimeoutError';
  readonly retryable = false;
  readonly breakerFailure = true;

  constructor(readonly timeoutMs: number) {
    super(`The Event API did not answer within ${timeoutMs} ms`);
  }
}

/** The upstream answered 2xx, but with a body of the wrong shape. */
export class UpstreamMalformedResponseError extends UpstreamError {
  override readonly name = 'UpstreamMalformedResponseError';
  readonly retryable = false;
  readonly breakerFailure = true;

  constructor(
    readonly reason: string,
    readonly upstreamStatus?: number,
  ) {
    super(`The Event API answered with a malformed body: ${reason}`);
  }
}
