import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { User } from '../../upstream/event-api.models';

export class UserDto implements User {
  @ApiProperty({ example: '1' })
  readonly id: string;

  @ApiProperty({ example: 'Ada Lovelace' })
  readonly name: string;

  @ApiPropertyOptional({ example: 'ada@example.com' })
  readonly email?: string;

  @ApiProperty({ type: [String], example: ['1', '2'] })
  readonly events: string[];
}
