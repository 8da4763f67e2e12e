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

export class CircuitOpenResponseDto extends ErrorResponseDto {
  @ApiProperty({ example: 503 })
  declare readonly statusCode: number;

  @ApiProperty({ example: false })
  readonly success: false;

  @ApiProperty({ example: 'Service temporarily unavailable' })
  declare readonly error: string;

  @ApiProperty({ example: CIRCUIT_OPEN_MESSAGE })
  declare readonly message: string;

  @ApiProperty({ enum: ['CIRCUIT_OPEN'], example: 'CIRCUIT_OPEN' })
  declare readonly code: string;

  @ApiProperty({ description: 'Seconds to wait; equals the Retry-After header', example: 10 })
  readonly retryAfter: number;

  @ApiProperty({ enum: ['OPEN', 'HALF_OPEN', 'FORCED_OPEN'], example: 'OPEN' })
  readonly circuitBreakerState: 'OPEN' | 'HALF_OPEN' | 'FORCED_OPEN';
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
      'Circuit breaker open (or half-open with its probe in flight): no upstream call was made. Retry after `Retry-After` seconds.',
      UpstreamCircuitOpenError.of('event-api.read', CircuitState.Open, 10_000),
      { type: CircuitOpenResponseDto, headers: RETRY_AFTER_HEADER },
    ),
    ApiErrorResponse('The Event API did not answer in time', new UpstreamTimeoutError(3000)),
  );
}
