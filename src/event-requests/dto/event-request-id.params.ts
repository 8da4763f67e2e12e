import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

/** `:id` of `GET /event-requests/{id}`: request ids are UUIDs. */
export class EventRequestIdParams {
  @ApiProperty({ format: 'uuid', example: '5b2f0a1e-9c1d-4f7e-8a51-2d9d3c6f1e42' })
  @IsUUID('all', { message: 'id must be a request id (a UUID)' })
  readonly id: string;
}
