import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { ApiError, type Problem } from './api-error';
import { DEFAULT_CODE_BY_STATUS, type ErrorCode } from './error-codes';

/** The one error body every failing request gets (plus a few fields for specific causes). */
export interface ErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly code: ErrorCode;
  readonly message: string | string[];
  readonly requestId: string;
  readonly [extra: string]: unknown;
}

export interface ErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ErrorBody;
  readonly logLevel: Problem['log'];
}

function reason(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/** Nest's HttpException bodies carry `message` as a string or (validation) a list of strings. */
function httpExceptionMessage(exception: HttpException): string | string[] {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message) && message.every((item) => typeof item === 'string')) return message;
  return exception.message;
}

/** What the mapping may say about the limits a request broke. */
export interface ErrorContext {
  readonly bodyLimitBytes?: number;
}

function tooLarge({ bodyLimitBytes }: ErrorContext): string {
  return bodyLimitBytes === undefined
    ? 'The body is larger than the limit'
    : `The body is larger than the limit of ${bodyLimitBytes} bytes`;
}

/** Errors Fastify raises before Nest runs, by their `code`: which code to give, and what to say. */
const FRAMEWORK_ERRORS: Readonly<
  Record<string, { code: ErrorCode; message?: (context: ErrorContext) => string }>
> = {
  // Fastify's own messages for these repeat the whole URL back: say what is wrong instead.
  FST_ERR_MAX_PARAM_LENGTH: { code: 'URI_TOO_LONG', message: () => 'A path parameter is too long' },
  FST_ERR_BAD_URL: { code: 'BAD_REQUEST', message: () => 'The URL is malformed' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: tooLarge },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE' },
};

/** Errors thrown below Nest (Fastify's body parsing, limits) carry a 4xx `statusCode`. */
function frameworkProblem(exception: unknown, context: ErrorContext): Problem | undefined {
  const { statusCode, code } = (exception ?? {}) as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return undefined;
  const known = typeof code === 'string' ? FRAMEWORK_ERRORS[code] : undefined;
  return {
    status: statusCode,
    code: known?.code ?? DEFAULT_CODE_BY_STATUS[statusCode] ?? 'BAD_REQUEST',
    message:
      known?.message?.(context) ??
      (exception instanceof Error ? exception.message : reason(statusCode)),
    log: 'none',
  };
}

function problemOf(exception: unknown, context: ErrorContext): Problem {
  if (exception instanceof ApiError) return exception.toProblem();
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status >= 500) {
      return { status, code: 'INTERNAL_ERROR', message: reason(status), log: 'error' };
    }
    const headers = (exception as { headers?: Record<string, string> }).headers;
    return {
      status,
      code: DEFAULT_CODE_BY_STATUS[status] ?? 'BAD_REQUEST',
      // Nest hands Fastify's "body too large" over as a 413 HttpException.
      message: status === 413 ? tooLarge(context) : httpExceptionMessage(exception),
      ...(headers ? { headers } : {}),
      log: 'none',
    };
  }
  return (
    frameworkProblem(exception, context) ?? {
      status: 500,
      code: 'INTERNAL_ERROR',
      message: 'Internal server error',
      log: 'error',
    }
  );
}

/**
 * Maps anything thrown while serving a request to the HTTP answer: the only place where errors
 * become status codes and bodies. Errors that know their answer (`ApiError`, which the Event API
 * client's errors are) say it themselves; unknown errors become a generic 500 that reveals nothing.
 */
export function toErrorResponse(
  exception: unknown,
  requestId: string,
  context: ErrorContext = {},
): ErrorResponse {
  const problem = problemOf(exception, context);
  return {
    status: problem.status,
    headers: problem.headers ?? {},
    body: {
      statusCode: problem.status,
      error: problem.error ?? reason(problem.status),
      code: problem.code,
      message: problem.message,
      ...problem.details,
      requestId,
    },
    logLevel: problem.log,
  };
}
