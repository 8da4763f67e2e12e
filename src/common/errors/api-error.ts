import type { ErrorCode } from './error-codes';

/** How an error is answered over HTTP: what the one error filter sends. */
export interface Problem {
  readonly status: number;
  readonly code: ErrorCode;
  /** Safe to show a client; a list for validation errors. */
  readonly message: string | string[];
  /** Replaces the status's reason phrase as the body's `error`. */
  readonly error?: string;
  /** Fields added to the body, e.g. `upstreamStatus` or the breaker fields of a 503. */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** How loudly to log it: client mistakes are not the operator's problem, unknown errors are. */
  readonly log: 'none' | 'warn' | 'error';
}

/**
 * An error that knows its own HTTP answer. Features and the Event API client throw these (or
 * subclasses); the exception filter asks them, instead of re-inspecting every error class.
 */
export class ApiError extends Error {
  override readonly name: string = 'ApiError';
  /**
   * The verdict a cache reads: the data source failed (did not answer usably, or a breaker refused
   * to ask it) rather than answering the request definitely (a 404, a 422). A stored copy is then
   * better than the error (stale-if-error).
   */
  readonly sourceFailed: boolean = false;

  constructor(private readonly problem: Problem) {
    super(Array.isArray(problem.message) ? problem.message.join('; ') : problem.message);
  }

  toProblem(): Problem {
    return this.problem;
  }
}

export function notFound(code: 'USER_NOT_FOUND' | 'EVENT_NOT_FOUND', message: string): ApiError {
  return new ApiError({ status: 404, code, message, log: 'none' });
}
