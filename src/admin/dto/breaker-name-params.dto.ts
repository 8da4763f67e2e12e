import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

export const BREAKER_NAME_PATTERN = /^[a-z0-9.-]{1,64}$/;
export const BREAKER_NAME_MESSAGE =
  'name must be 1 to 64 characters: lowercase letters, digits, "." and "-"';

/** `:name` path parameter of the breaker routes, validated before the registry is asked. */
export class BreakerNameParams {
  @ApiProperty({
    description: 'A circuit breaker (GET /admin/circuit-breakers lists them)',
    example: 'event-api.write',
    pattern: BREAKER_NAME_PATTERN.source,
  })
  @Matches(BREAKER_NAME_PATTERN, { message: BREAKER_NAME_MESSAGE })
  @IsString()
  readonly name: string;
}
