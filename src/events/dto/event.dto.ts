import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Event } from '../../upstream/event-api.models';

export class EventDto implements Event {
  @ApiProperty({ example: '1' })
  readonly id: string;

  @ApiProperty({ example: 'Kick-off meeting' })
  readonly name: string;

  @ApiProperty({ example: '1' })
  readonly userId: string;

  @ApiPropertyOptional({ example: 'Room 4, bring the roadmap' })
  readonly details?: string;
}
