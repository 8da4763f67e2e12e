import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/dto/error-response.dto';
import { CIRCUIT_OPEN_MESSAGE } from './event-api.errors';

export class UpstreamErrorResponseDto extends ErrorResponseDto {
  @ApiProperty({ example: 502 })
  declare readonly statusCode: number;

  @ApiProperty({ example: 'Bad Gateway' })
  declare readonly error: string;

  @ApiProperty({ example: 'The Event API answered with status 503' })
  declare readonly message: string;

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

  @ApiProperty({ description: 'Seconds to wait; equals the Retry-After header', example: 10 })
  readonly retryAfter: number;

  @ApiProperty({ enum: ['OPEN', 'HALF_OPEN', 'FORCED_OPEN'], example: 'OPEN' })
  readonly circuitBreakerState: 'OPEN' | 'HALF_OPEN' | 'FORCED_OPEN';
}

/** The 502/503/504 answers every route that calls the upstream can give. */
export function ApiUpstreamErrorResponses(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiResponse({
      status: 502,
      description:
        'The Event API failed: it answered 5xx, the connection failed, or its body was malformed',
      type: UpstreamErrorResponseDto,
    }),
    ApiResponse({
      status: 503,
      description:
        'Circuit breaker open (or half-open with its probe in flight): no upstream call was made. Retry after `Retry-After` seconds.',
      type: CircuitOpenResponseDto,
      headers: {
        'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', example: 10 } },
      },
    }),
    ApiResponse({
      status: 504,
      description: 'The Event API did not answer in time',
      type: ErrorResponseDto,
    }),
  );
}
