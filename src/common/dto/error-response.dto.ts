import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CIRCUIT_OPEN_MESSAGE } from '../error-response';

export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  readonly statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  readonly error: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['name must be longer than or equal to 1 characters'],
  })
  readonly message: string | string[];

  @ApiProperty({
    description: 'The correlation id of the request (also in the x-correlation-id header)',
    example: '3f1c2a4e-8d0b-4d52-9a57-0f7d7f2b6a10',
  })
  readonly requestId: string;
}

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

  @ApiProperty({ enum: ['OPEN', 'HALF_OPEN'], example: 'OPEN' })
  readonly circuitBreakerState: 'OPEN' | 'HALF_OPEN';
}
