import {
  BadRequestException,
  InternalServerErrorException,
  NotFoundException,
} from '@nestjs/common';
import { CircuitState } from '../../circuit-breaker';
import {
  UpstreamCircuitOpenError,
  UpstreamHttpError,
  UpstreamMalformedResponseError,
  UpstreamNetworkError,
  UpstreamTimeoutError,
} from '../../upstream/event-api.errors';
import { ApiError } from './api-error';
import { toErrorResponse } from './error-response';

const open = (state: CircuitState.Open | CircuitState.HalfOpen, retryAfterMs: number) =>
  UpstreamCircuitOpenError.of('event-api.write', state, retryAfterMs);

describe('toErrorResponse', () => {
  it('answers an open circuit with 503, Retry-After and the original fields', () => {
    const result = toErrorResponse(open(CircuitState.Open, 9_001), 'req-1');
    expect(result.status).toBe(503);
    expect(result.headers).toEqual({ 'retry-after': '10' });
    expect(result.body).toEqual({
      statusCode: 503,
      success: false,
      error: 'Service temporarily unavailable',
      code: 'CIRCUIT_OPEN',
      message: 'Event service is currently experiencing issues. Please try again later.',
      retryAfter: 10,
      circuitBreakerState: 'OPEN',
      requestId: 'req-1',
    });
  });

  it('never advertises a Retry-After below 1 second', () => {
    const result = toErrorResponse(open(CircuitState.HalfOpen, 0), 'r');
    expect(result.headers['retry-after']).toBe('1');
    expect(result.body.circuitBreakerState).toBe('HALF_OPEN');
  });

  it.each([
    [new UpstreamHttpError(503), 502, { code: 'UPSTREAM_BAD_STATUS', upstreamStatus: 503 }],
    [new UpstreamHttpError(400), 502, { code: 'UPSTREAM_REJECTED_REQUEST', upstreamStatus: 400 }],
    [new UpstreamNetworkError('ECONNRESET'), 502, { code: 'UPSTREAM_UNREACHABLE' }],
    [new UpstreamMalformedResponseError('bad id'), 502, { code: 'UPSTREAM_MALFORMED_RESPONSE' }],
    [new UpstreamTimeoutError(3000), 504, { code: 'UPSTREAM_TIMEOUT' }],
  ])('maps %s to %i', (error, status, extra) => {
    const result = toErrorResponse(error, 'r');
    expect(result.status).toBe(status);
    expect(result.body).toMatchObject({ statusCode: status, requestId: 'r', ...extra });
  });

  it('answers an ApiError with the problem it carries', () => {
    const error = new ApiError({ status: 422, code: 'UNKNOWN_USER', message: 'no', log: 'none' });
    expect(toErrorResponse(error, 'r').body).toEqual({
      statusCode: 422,
      error: 'Unprocessable Entity',
      code: 'UNKNOWN_USER',
      message: 'no',
      requestId: 'r',
    });
  });

  it('does not reveal why an upstream body was malformed or which socket error happened', () => {
    const malformed = toErrorResponse(
      new UpstreamMalformedResponseError('user.id is not a valid id'),
      'r',
    );
    const network = toErrorResponse(new UpstreamNetworkError('ECONNREFUSED'), 'r');
    expect(JSON.stringify(malformed.body)).not.toContain('user.id');
    expect(JSON.stringify(network.body)).not.toContain('ECONNREFUSED');
  });

  it('keeps the list of validation messages', () => {
    const result = toErrorResponse(
      new BadRequestException(['name must be a string', 'userId must be a string']),
      'r',
    );
    expect(result.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'BAD_REQUEST',
      message: ['name must be a string', 'userId must be a string'],
      requestId: 'r',
    });
  });

  it('passes a 404 message through', () => {
    expect(toErrorResponse(new NotFoundException('User "1" not found'), 'r').body.message).toBe(
      'User "1" not found',
    );
  });

  it('hides unknown errors behind a generic 500', () => {
    const result = toErrorResponse(
      new TypeError('cannot read properties of undefined (secret)'),
      'r',
    );
    expect(result).toMatchObject({ status: 500, logLevel: 'error' });
    expect(result.body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      code: 'INTERNAL_ERROR',
      message: 'Internal server error',
      requestId: 'r',
    });
  });

  it('hides the message of a 5xx HttpException too', () => {
    const result = toErrorResponse(new InternalServerErrorException('db password is hunter2'), 'r');
    expect(JSON.stringify(result.body)).not.toContain('hunter2');
  });

  it('keeps the status of a Fastify client error, and names its code', () => {
    const error = Object.assign(new Error('Request body is too large'), {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    });
    expect(toErrorResponse(error, 'r').body).toMatchObject({
      statusCode: 413,
      error: 'Payload Too Large',
      code: 'PAYLOAD_TOO_LARGE',
    });
  });
});
