import { applyDecorators } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
} from '@nestjs/swagger';
import { ApiError } from '../common/errors/api-error';
import { ApiErrorResponse } from '../common/openapi/api-error-responses.decorator';
import { EventDto } from '../events/dto/event.dto';
import { queueUnavailable } from '../event-requests/queue-errors';
import type { DeadLetter, DeadLetterPage } from '../event-requests/event-request.model';
import {
  eventRequestNotFailed,
  eventRequestNotFound,
  type RetriedEventRequest,
} from './event-requests-admin.service';

const EXAMPLE_ID = '5b2f0a1e-9c1d-4f7e-8a51-2d9d3c6f1e42';

class DeadLetterDto implements DeadLetter {
  @ApiProperty({ description: 'The request id (GET /event-requests/{id})', example: EXAMPLE_ID })
  readonly id: string;

  @ApiProperty({ type: EventDto, description: 'The event to create, under the id it will have' })
  readonly event: EventDto;

  @ApiProperty({ description: 'When the create was accepted', example: '2026-11-22T10:00:00.000Z' })
  readonly createdAt: string;

  @ApiProperty({ description: 'When it was given up', example: '2026-11-23T10:00:01.204Z' })
  readonly failedAt: string;

  @ApiProperty({
    description: 'Why it was given up',
    example: 'Not delivered within 86400000 ms: given up',
  })
  readonly reason: string;

  @ApiProperty({ description: 'Delivery attempts made, over all its runs', example: 31 })
  readonly attempts: number;

  @ApiPropertyOptional({
    description: 'When an operator last retried it, if ever',
    example: '2026-11-23T11:00:00.000Z',
  })
  readonly retriedAt?: string;
}

class DeadLetterPageDto implements DeadLetterPage {
  @ApiProperty({ type: [DeadLetterDto], description: 'Newest failure first' })
  readonly items: DeadLetterDto[];

  @ApiPropertyOptional({
    description: 'Pass as `cursor` for the next page; absent on the last page',
    example: 'MTc5NTM5NTY1MTEzNjo1YjJmMGExZS05YzFkLTRmN2UtOGE1MS0yZDlkM2M2ZjFlNDI',
  })
  readonly next?: string;
}

class RetriedEventRequestDto implements RetriedEventRequest {
  @ApiProperty({ example: EXAMPLE_ID })
  readonly id: string;

  @ApiProperty({ enum: ['pending'], example: 'pending' })
  readonly status: 'pending';

  @ApiProperty({ example: '3f1c2a4e-8d0b-4d52-9a57-0f7d7f2b6a10' })
  readonly eventId: string;

  @ApiProperty({ example: '2026-11-23T11:00:00.000Z' })
  readonly retriedAt: string;
}

const QUEUE_UNAVAILABLE = 'Shared state (Redis) is unavailable: nothing was done, retry later';

export function ApiListDeadLetters(): MethodDecorator {
  return applyDecorators(
    ApiOperation({
      summary: 'List failed accepted creates (dead letters)',
      description:
        'Creates accepted with `Prefer: respond-async` and given up: not delivered within EVENT_DELIVERY_MAX_AGE_MS, or refused for good (the user does not exist). Kept 7 × IDEMPOTENCY_TTL_MS after they failed. Newest failure first, paged by `cursor`. The queue is shared: every replica lists the same.',
    }),
    ApiOkResponse({ type: DeadLetterPageDto }),
    ApiErrorResponse(
      'An invalid query: `status` other than `failed`, `limit` outside 1–100, a `cursor` no page gave, or an unknown parameter',
      new ApiError({
        status: 400,
        code: 'VALIDATION_FAILED',
        message: ['status must be failed (the only status listed)'],
        log: 'none',
      }),
    ),
    ApiErrorResponse(QUEUE_UNAVAILABLE, queueUnavailable()),
  );
}

export function ApiRetryDeadLetter(): MethodDecorator {
  return applyDecorators(
    ApiOperation({
      summary: 'Retry a failed accepted create',
      description:
        'Moves the failed create back to the queue; a worker delivers it exactly once: it first asks the Event API whether the event exists (by its id), and sends it only if not. EVENT_DELIVERY_MAX_AGE_MS counts again from the retry. Audited (a warn line, context `Admin`). Only a failed create can be retried: of two retries at once, one is answered 202, the other 409. Not refused by EVENT_DELIVERY_MAX_PENDING.',
    }),
    ApiAcceptedResponse({
      type: RetriedEventRequestDto,
      description: 'Back on the queue; `Location` is where it stands',
      headers: {
        Location: {
          description: 'GET it to see where the create stands',
          required: true,
          schema: { type: 'string', example: `/event-requests/${EXAMPLE_ID}` },
        },
      },
    }),
    ApiErrorResponse(
      'Invalid id',
      new ApiError({
        status: 400,
        code: 'VALIDATION_FAILED',
        message: ['id must be a request id (a UUID)'],
        log: 'none',
      }),
    ),
    ApiErrorResponse('No accepted create with this id', eventRequestNotFound(EXAMPLE_ID)),
    ApiErrorResponse(
      'The create is not failed (pending, delivered, or retried meanwhile by another request)',
      eventRequestNotFailed(EXAMPLE_ID),
    ),
    ApiErrorResponse(
      'A body that is not JSON (this route takes no body: send none)',
      new ApiError({
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Content-Type must be application/json',
        log: 'none',
      }),
    ),
    ApiErrorResponse(QUEUE_UNAVAILABLE, queueUnavailable()),
  );
}
