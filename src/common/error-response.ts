import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { CircuitOpenError } from '../upstream/circuit-breaker/circuit-breaker.errors';
import {
  UpstreamError,
  UpstreamHttpError,
  UpstreamMalformedResponseError,
  UpstreamNetworkError,
  UpstreamTimeoutError,
} from '../upstream/upstream.errors';

/** The one error body every failing request gets (plus a few fields for specific causes). */
export interface ErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly message: string | string[];
  readonly requestId: string;
  readonly [extra: string]: unknown;
}

export interface ErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ErrorBody;
  /** How loudly to log: client mistakes are not the operator's problem, unknown errors are. */
  readonly logLevel: 'none' | 'warn' | 'error';
}

export const CIRCUIT_OPEN_MESSAGE =
  'Event service is currently experiencing issues. Please try again later.';

function reason(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

function response(
  status: number,
  message: string | string[],
  requestId: string,
  logLevel: ErrorResponse['logLevel'],
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): ErrorResponse {
  return {
    status,
    headers,
    body: { statusCode: status, error: reason(status), message, ...extra, requestId },
    logLevel,
  };
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

/** Fastify's own messages for these repeat the whole URL back: say what is wrong instead. */
const FRAMEWORK_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long',
  FST_ERR_BAD_URL: 'The URL is malformed',
};

/** Errors thrown below Nest (Fastify's body parsing, limits) carry a 4xx `statusCode`. */
function clientErrorStatus(exception: unknown): number | undefined {
  const status = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/**
 * Maps anything thrown while serving a request to the HTTP answer. The only place where errors
 * become status codes; unknown errors become a generic 500 that reveals nothing.
 */
export function toErrorResponse(exception: unknown, requestId: string): ErrorResponse {
  if (exception instanceof CircuitOpenError) {
    const retryAfter = Math.max(1, Math.ceil(exception.retryAfterMs / 1000));
    return {
      status: 503,
      headers: { 'retry-after': String(retryAfter) },
      body: {
        statusCode: 503,
        success: false,
        error: 'Service temporarily unavailable',
        message: CIRCUIT_OPEN_MESSAGE,
        retryAfter,
        circuitBreakerState: exception.state,
        requestId,
      },
      logLevel: 'none',
    };
  }
  if (exception instanceof UpstreamError) return upstreamErrorResponse(exception, requestId);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status >= 500) return response(status, reason(status), requestId, 'error');
    return response(status, httpExceptionMessage(exception), requestId, 'none');
  }
  const clientStatus = clientErrorStatus(exception);
  if (clientStatus !== undefined) {
    const code = (exception as { code?: unknown }).code;
    const message =
      (typeof code === 'string' ? FRAMEWORK_MESSAGES[code] : undefined) ??
      (exception instanceof Error ? exception.message : reason(clientStatus));
    return response(clientStatus, message, requestId, 'none');
  }
  return response(500, 'Internal server error', requestId, 'error');
}

function upstreamErrorResponse(error: UpstreamError, requestId: string): ErrorResponse {
  if (error instanceof UpstreamTimeoutError) {
    return response(
      504,
      `The Event API did not answer within ${error.timeoutMs} ms`,
      requestId,
      'warn',
    );
  }
  if (error instanceof UpstreamHttpError) {
    return response(
      502,
      `The Event API answered with status ${error.upstreamStatus}`,
      requestId,
      'warn',
      {
        upstreamStatus: error.upstreamStatus,
      },
    );
  }
  if (error instanceof UpstreamMalformedResponseError) {
    const extra =
      error.upstreamStatus === undefined ? {} : { upstreamStatus: error.upstreamStatus };
    return response(502, 'The Event API answered with a malformed body', requestId, 'warn', extra);
  }
  if (error instanceof UpstreamNetworkError) {
    return response(502, 'The Event API could not be reached', requestId, 'warn');
  }
  return response(502, 'The Event API failed', requestId, 'warn');
}
