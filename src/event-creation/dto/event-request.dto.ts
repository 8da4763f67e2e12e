import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { EventRequestView } from '../accepted-creates';

export class EventRequestDto implements EventRequestView {
  @ApiProperty({ example: '5b2f0a1e-9c1d-4f7e-8a51-2d9d3c6f1e42' })
  readonly id: string;

  @ApiProperty({ enum: ['pending', 'delivered', 'failed'], example: 'pending' })
  readonly status: 'pending' | 'delivered' | 'failed';

  @ApiProperty({
    description: 'The id the event has (and will have) upstream',
    example: '3f1c2a4e-8d0b-4d52-9a57-0f7d7f2b6a10',
  })
  readonly eventId: string;

  @ApiProperty({
    description: 'Delivery attempts made so far (a wait for an open breaker is not one)',
    example: 2,
  })
  readonly attempts: number;

  @ApiPropertyOptional({
    description: 'Why the last attempt failed (or why it failed for good)',
    example: 'The Event API answered with status 503',
  })
  readonly lastError?: string;

  @ApiProperty({ example: '2026-11-22T10:00:00.000Z' })
  readonly createdAt: string;

  @ApiPropertyOptional({ example: '2026-11-22T10:00:03.412Z' })
  readonly deliveredAt?: string;
}
