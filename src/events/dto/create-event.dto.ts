import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { ID_PATTERN, ID_PATTERN_DESCRIPTION } from '../../common/ids';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

/** Body of `POST /events` and `POST /addEvent`. Unknown properties are rejected. */
export class CreateEventDto {
  @ApiProperty({
    description: 'Trimmed; 1 to 200 characters',
    example: 'Team offsite',
    minLength: 1,
    maxLength: 200,
  })
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  readonly name: string;

  @ApiProperty({
    description: `The owner; must exist upstream (else 422). ${ID_PATTERN_DESCRIPTION}`,
    example: '1',
    pattern: ID_PATTERN.source,
  })
  @IsString()
  @Matches(ID_PATTERN, { message: `userId must be ${ID_PATTERN_DESCRIPTION}` })
  readonly userId: string;

  @ApiPropertyOptional({
    description: 'At most 2000 characters',
    example: 'Lisbon, 3 days',
    maxLength: 2000,
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  readonly details?: string;
}
