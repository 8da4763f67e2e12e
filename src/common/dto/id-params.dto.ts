import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { ID_PATTERN, ID_PATTERN_DESCRIPTION } from '../ids';

/** `:id` path parameter, validated before anything reaches the upstream. */
export class IdParams {
  @ApiProperty({ description: ID_PATTERN_DESCRIPTION, example: '1', pattern: ID_PATTERN.source })
  @Matches(ID_PATTERN, { message: `id must be ${ID_PATTERN_DESCRIPTION}` })
  @IsString()
  readonly id: string;
}
