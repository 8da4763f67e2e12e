import { AxiosError, CanceledError, type InternalAxiosRequestConfig } from 'axios';
import { CircuitOpenError, CircuitState } from '../circuit-breaker';
import {
  breakerVerdict,
  toEventApiError,
  UpstreamCircuitOpenError,
  UpstreamHttpError,
  UpstreamMalformedResponseError,
  UpstreamNetworkError,
  UpstreamOverloadedError,
  UpstreamTimeoutError,
} from './event-api.errors';

const config = (signal?: AbortSignal) =>
  ({ headers: {}, signal }) as unknown as InternalAxiosRequestConfig;

function answered(status: number): AxiosError {
  return new AxiosError(
    'failed',
    'ERR_BAD_RESPONSE',
    config(),
    {},
    {
      status,
      statusText: '',
      headers: {},
      config: config(),
      data: '',
    },
  );
}

describe('toEventApiError', () => {
  it('turns an answer with a bad status into UpstreamHttpError', () => {
    expect(toEventApiError(answered(503), 3000)).toEqual(new UpstreamHttpError(503));
  });

  it('turns our deadline (an aborted signal whose reason is a TimeoutError) into UpstreamTimeoutError', () => {
    const controller = new AbortController();
    controller.abort(new DOMException('deadline', 'TimeoutError'));
    const error = new CanceledError(undefined, config(controller.signal));
    expect(toEventApiError(error, 3000)).toBeInstanceOf(UpstreamTimeoutError);
  });

  it('keeps any other cancellation as it is, and it is not an outcome for the breaker', () => {
    const controller = new AbortController();
    controller.abort();
    const error = new CanceledError(undefined, config(controller.signal));
    const translated = toEventApiError(error, 3000);
    expect(translated).toBe(error);
    expect(breakerVerdict(translated)).toBe('ignore');
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', undefined])(
    'turns %s into a network error',
    (code) => {
      expect(toEventApiError(new AxiosError('boom', code, config()), 3000)).toEqual(
        new UpstreamNetworkError(code),
      );
    },
  );

  it('treats an over-size body as malformed', () => {
    const error = new AxiosError(
      'maxContentLength size of 1048576 exceeded',
      'ERR_BAD_RESPONSE',
      config(),
    );
    expect(toEventApiError(error, 3000)).toBeInstanceOf(UpstreamMalformedResponseError);
  });

  it('passes Event API errors through untouched', () => {
    const error = new UpstreamHttpError(500);
    expect(toEventApiError(error, 3000)).toBe(error);
  });

  it("turns a breaker's refusal into a 503 that keeps the breaker's state and wait", () => {
    const translated = toEventApiError(new CircuitOpenError('b', CircuitState.Open, 1500), 3000);
    expect(translated).toBeInstanceOf(UpstreamCircuitOpenError);
    expect((translated as UpstreamCircuitOpenError).toProblem()).toMatchObject({
      status: 503,
      code: 'CIRCUIT_OPEN',
      headers: { 'retry-after': '2' },
      details: { success: false, retryAfter: 2, circuitBreakerState: 'OPEN' },
    });
  });
});

describe('UpstreamOverloadedError', () => {
  it('is a 503 with a short Retry-After, and the source failed (a stale copy may answer)', () => {
    const error = UpstreamOverloadedError.of('queue_timeout');
    expect(error.toProblem()).toMatchObject({
      status: 503,
      code: 'UPSTREAM_OVERLOADED',
      headers: { 'retry-after': '1' },
      details: { retryAfter: 1 },
      log: 'none',
    });
    expect(error.sourceFailed).toBe(true);
    expect(error.message).toMatch(/queue_timeout/);
  });
});

describe('verdicts', () => {
  it.each([
    [new UpstreamHttpError(404), 'http_4xx', false, 'success', false],
    [new UpstreamHttpError(500), 'http_5xx', true, 'failure', true],
    [new UpstreamHttpError(302), 'http_other', false, 'failure', false],
    [new UpstreamNetworkError('ECONNRESET'), 'network', true, 'failure', true],
    [new UpstreamTimeoutError(1), 'timeout', false, 'failure', true],
    [new UpstreamMalformedResponseError('x'), 'malformed', false, 'failure', false],
    [UpstreamCircuitOpenError.of('b', CircuitState.Open, 1), 'rejected', false, 'ignore', false],
    [UpstreamOverloadedError.of('queue_full'), 'overloaded', false, 'ignore', false],
  ])(
    '%s: outcome %s, retryable %s, breaker %s, effect unknown %s',
    (error, outcome, retryable, breaker, effectUnknown) => {
      expect(error.verdict).toEqual({ outcome, retryable, breaker, effectUnknown });
      expect(breakerVerdict(error)).toBe(breaker);
    },
  );

  it('is no outcome for the breaker when the error is not from the Event API', () => {
    expect(breakerVerdict(new TypeError('bug'))).toBe('ignore');
  });
});
