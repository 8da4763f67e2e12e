import { AxiosError, CanceledError, type InternalAxiosRequestConfig } from 'axios';
import { CircuitOpenError } from './circuit-breaker/circuit-breaker.errors';
import { CircuitState } from './circuit-breaker/circuit-state';
import { classifyUpstreamError, toUpstreamError } from './upstream-error.translation';
import {
  UpstreamHttpError,
  UpstreamMalformedResponseError,
  UpstreamNetworkError,
  UpstreamTimeoutError,
} from './upstream.errors';

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

describe('toUpstreamError', () => {
  it('turns an answer with a bad status into UpstreamHttpError', () => {
    expect(toUpstreamError(answered(503), 3000)).toEqual(new UpstreamHttpError(503));
  });

  it("turns axios's own timeout into UpstreamTimeoutError", () => {
    expect(toUpstreamError(new AxiosError('timeout', 'ETIMEDOUT', config()), 3000)).toEqual(
      new UpstreamTimeoutError(3000),
    );
  });

  it('turns our deadline (an aborted signal whose reason is a TimeoutError) into UpstreamTimeoutError', () => {
    const controller = new AbortController();
    controller.abort(new DOMException('deadline', 'TimeoutError'));
    const error = new CanceledError(undefined, config(controller.signal));
    expect(toUpstreamError(error, 3000)).toBeInstanceOf(UpstreamTimeoutError);
  });

  it('keeps any other cancellation as it is, and it is not an outcome for the breaker', () => {
    const controller = new AbortController();
    controller.abort();
    const error = new CanceledError(undefined, config(controller.signal));
    const translated = toUpstreamError(error, 3000);
    expect(translated).toBe(error);
    expect(classifyUpstreamError(translated)).toBe('ignore');
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', undefined])(
    'turns %s into a network error',
    (code) => {
      expect(toUpstreamError(new AxiosError('boom', code, config()), 3000)).toEqual(
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
    expect(toUpstreamError(error, 3000)).toBeInstanceOf(UpstreamMalformedResponseError);
  });

  it('passes typed errors through untouched', () => {
    const open = new CircuitOpenError('b', CircuitState.Open, 1);
    expect(toUpstreamError(open, 3000)).toBe(open);
  });
});

describe('classifyUpstreamError', () => {
  it.each([
    [new UpstreamHttpError(404), 'success'],
    [new UpstreamHttpError(500), 'failure'],
    [new UpstreamHttpError(302), 'failure'],
    [new UpstreamNetworkError('ECONNRESET'), 'failure'],
    [new UpstreamTimeoutError(1), 'failure'],
    [new UpstreamMalformedResponseError('x'), 'failure'],
    [new TypeError('bug'), 'ignore'],
  ])('classifies %s as %s', (error, expected) => {
    expect(classifyUpstreamError(error)).toBe(expected);
  });
});
