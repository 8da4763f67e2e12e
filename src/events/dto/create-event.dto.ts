import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { ID_PATTERN, ID_PATTERN_DESCRIPTION } from '../../common/ids';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

// Each property reports only its first broken rule (the pipe stops at the first error). Decorators
// apply bottom-up, so the rules are checked from the bottom: present, then typed, then bounded.

/** Body of `POST /events` and `POST /addEvent`. Unknown properties are rejected. */
export class CreateEventDto {
  @ApiProperty({
    description: 'Trimmed; 1 to 200 characters',
    example: 'Team offsite',
    minLength: 1,
    maxLength: 200,
  })
  @Transform(trim)
  @Length(1, 200, { message: 'name must be 1 to 200 characters (after trimming)' })
  @IsString({ message: 'name must be a string' })
  @IsDefined({ message: 'name is required' })
  readonly name: string;

  @ApiProperty({
    description: `The owner; must exist upstream (else 422). ${ID_PATTERN_DESCRIPTION}`,
    example: '1',
    pattern: ID_PATTERN.source,
  })
  @Matches(ID_PATTERN, { message: `userId must be ${ID_PATTERN_DESCRIPTION}` })
  @IsString({ message: 'userId must be a string' })
  @IsDefined({ message: 'userId is required' })
  readonly userId: string;

  @ApiPropertyOptional({
    description: 'At most 2000 characters',
    example: 'Lisbon, 3 days',
    maxLength: 2000,
  })
  @MaxLength(2000, { message: 'details must be at most 2000 characters' })
  @IsString({ message: 'details must be a string' })
  @IsOptional()
  readonly details?: string;
}
