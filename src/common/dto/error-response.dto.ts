import { ApiProperty } from '@nestjs/swagger';
import { ERROR_CODES } from '../errors/error-codes';

export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  readonly statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  readonly error: string;

  @ApiProperty({
    description: 'Stable machine-readable cause; branch on this, not on `message`',
    enum: Object.keys(ERROR_CODES),
    example: 'VALIDATION_FAILED',
  })
  readonly code: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['name must be 1 to 200 characters (after trimming)'],
  })
  readonly message: string | string[];

  @ApiProperty({
    description: 'The correlation id of the request (also in the x-correlation-id header)',
    example: '3f1c2a4e-8d0b-4d52-9a57-0f7d7f2b6a10',
  })
  readonly requestId: string;
}
