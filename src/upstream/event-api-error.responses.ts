import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CircuitState } from '../circuit-breaker';
import { ErrorResponseDto } from '../common/dto/error-response.dto';
import {
  ApiErrorResponse,
  RETRY_AFTER_HEADER,
} from '../common/openapi/api-error-responses.decorator';
import {
  CIRCUIT_OPEN_MESSAGE,
  UpstreamCircuitOpenError,
  UpstreamHttpError,
  UpstreamOverloadedError,
  UpstreamTimeoutError,
} from './event-api.errors';

export class UpstreamErrorResponseDto extends ErrorResponseDto {
  @ApiProperty({ example: 502 })
  declare readonly statusCode: number;

  @ApiProperty({ example: 'Bad Gateway' })
  declare readonly error: string;

  @ApiProperty({ example: 'The Event API answered with status 503' })
  declare readonly message: string;

  @ApiProperty({
    enum: [
      'UPSTREAM_BAD_STATUS',
      'UPSTREAM_REJECTED_REQUEST',
      'UPSTREAM_UNREACHABLE',
      'UPSTREAM_MALFORMED_RESPONSE',
      'UPSTREAM_TIMEOUT',
    ],
    example: 'UPSTREAM_BAD_STATUS',
  })
  declare readonly code: string;

  @ApiPropertyOptional({ description: "The upstream's status, when it answered", example: 503 })
  readonly upstreamStatus?: number;
}

/** The 503 of a call refused before reaching the upstream: by a breaker, or by the concurrency limit. */
export class CircuitOpenResponseDto extends ErrorResponseDto {
  @ApiProperty({ example: 503 })
  declare readonly statusCode: number;

  @ApiPropertyOptional({ description: 'CIRCUIT_OPEN only', example: false })
  readonly success?: false;

  @ApiProperty({ example: 'Service temporarily unavailable' })
  declare readonly error: string;

  @ApiProperty({ example: CIRCUIT_OPEN_MESSAGE })
  declare readonly message: string;

  @ApiProperty({ enum: ['CIRCUIT_OPEN', 'UPSTREAM_OVERLOADED'], example: 'CIRCUIT_OPEN' })
  declare readonly code: string;

  @ApiProperty({ description: 'Seconds to wait; equals the Retry-After header', example: 10 })
  readonly retryAfter: number;

  @ApiPropertyOptional({
    description: 'CIRCUIT_OPEN only',
    enum: ['OPEN', 'HALF_OPEN', 'FORCED_OPEN'],
    example: 'OPEN',
  })
  readonly circuitBreakerState?: 'OPEN' | 'HALF_OPEN' | 'FORCED_OPEN';
}

/** The 502/503/504 answers every route that calls the upstream can give. */
export function ApiUpstreamErrorResponses(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiErrorResponse(
      'The Event API failed: it answered 5xx (or an unexpected status), the connection failed (UPSTREAM_UNREACHABLE), or its body was malformed (UPSTREAM_MALFORMED_RESPONSE)',
      new UpstreamHttpError(503),
      { type: UpstreamErrorResponseDto },
    ),
    ApiErrorResponse(
      'No upstream call was made: a circuit breaker is open (or half-open with its probe in flight: CIRCUIT_OPEN), or the gateway is at its concurrency limit toward the Event API and the wait for a slot failed (UPSTREAM_OVERLOADED; a read with a stored copy is answered from it instead). Retry after `Retry-After` seconds.',
      [
        UpstreamCircuitOpenError.of('event-api.read', CircuitState.Open, 10_000),
        UpstreamOverloadedError.of('queue_timeout'),
      ],
      { type: CircuitOpenResponseDto, headers: RETRY_AFTER_HEADER },
    ),
    ApiErrorResponse('The Event API did not answer in time', new UpstreamTimeoutError(3000)),
  );
}
