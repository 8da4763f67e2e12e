import { isAxiosError, isCancel } from 'axios';
import type { CallClassification } from './circuit-breaker/axios-circuit-breaker';
import { CircuitOpenError } from './circuit-breaker/circuit-breaker.errors';
import {
  UpstreamError,
  UpstreamHttpError,
  UpstreamMalformedResponseError,
  UpstreamNetworkError,
  UpstreamTimeoutError,
} from './upstream.errors';

function isTimeoutReason(reason: unknown): boolean {
  return (reason as { name?: unknown } | undefined)?.name === 'TimeoutError';
}

/** Turns what axios (or a body parser) threw into the gateway's typed upstream errors. */
export function toUpstreamError(error: unknown, timeoutMs: number): Error {
  if (error instanceof UpstreamError || error instanceof CircuitOpenError) return error;
  if (isCancel(error)) {
    // Our own deadline fires through an AbortSignal; any other cancellation is not an outcome.
    const signal = (error as { config?: { signal?: { reason?: unknown } } }).config?.signal;
    return isTimeoutReason(signal?.reason) ? new UpstreamTimeoutError(timeoutMs) : (error as Error);
  }
  if (isAxiosError(error)) {
    // With `transitional.clarifyTimeoutError` axios reports its own timeout as ETIMEDOUT
    // (ECONNABORTED then means the exchange was cut short: a network failure).
    if (error.code === 'ETIMEDOUT') return new UpstreamTimeoutError(timeoutMs);
    if (error.response) return new UpstreamHttpError(error.response.status);
    if (/maxContentLength|maxBodyLength/.test(error.message)) {
      return new UpstreamMalformedResponseError('body larger than the allowed size');
    }
    return new UpstreamNetworkError(error.code);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Upstream errors carry their own verdict; anything else (a cancellation, a bug) is no outcome. */
export function classifyUpstreamError(error: Error): CallClassification {
  if (error instanceof UpstreamError) return error.breakerFailure ? 'failure' : 'success';
  return 'ignore';
}
