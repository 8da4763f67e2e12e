import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export const DEAD_LETTER_STATUSES = ['failed'] as const;
export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** The query of `GET /admin/event-requests`, validated before the queue is read. */
export class DeadLetterQuery {
  @ApiProperty({
    enum: DEAD_LETTER_STATUSES,
    description: 'Which accepted creates to list: `failed` (given up), the only one listed',
    example: 'failed',
  })
  @IsIn(DEAD_LETTER_STATUSES, { message: 'status must be failed (the only status listed)' })
  readonly status: 'failed';

  @ApiPropertyOptional({
    description: `Items per page, 1 to ${MAX_PAGE_LIMIT}`,
    minimum: 1,
    maximum: MAX_PAGE_LIMIT,
    default: DEFAULT_PAGE_LIMIT,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}` })
  @Min(1, { message: `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}` })
  @Max(MAX_PAGE_LIMIT, { message: `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}` })
  readonly limit: number = DEFAULT_PAGE_LIMIT;

  @ApiPropertyOptional({
    description: 'The `next` of the previous page; absent for the first page',
    pattern: CURSOR_PATTERN.source,
  })
  @IsOptional()
  @IsString({ message: 'cursor must be the `next` of an earlier page' })
  @Matches(CURSOR_PATTERN, { message: 'cursor must be the `next` of an earlier page' })
  readonly cursor?: string;
}
