import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RESOURCE_API_VERSIONS } from '../common/api-version';
import { ApiError } from '../common/errors/api-error';
import {
  ApiErrorResponse,
  ApiRateLimitedResponse,
} from '../common/openapi/api-error-responses.decorator';
import { EventRequestIdParams } from './dto/event-request-id.params';
import { EventRequestDto } from '../event-creation/dto/event-request.dto';
import { EventDeliveries, queueUnavailable } from './event-deliveries.service';
import type { EventRequestView } from '../event-creation/accepted-creates';

@ApiTags('Events')
@ApiRateLimitedResponse()
@Controller({ path: 'event-requests', version: RESOURCE_API_VERSIONS })
export class EventRequestsController {
  constructor(private readonly deliveries: EventDeliveries) {}

  @Get(':id')
  @ApiOperation({
    summary: 'Where an accepted create stands',
    description:
      'For a `POST /events` answered 202 (`Prefer: respond-async`): pending until a worker delivered it upstream (exactly once), delivered, or failed for good (the user does not exist, or not delivered within EVENT_DELIVERY_MAX_AGE_MS). Any replica answers.',
  })
  @ApiOkResponse({ type: EventRequestDto })
  @ApiErrorResponse(
    'No accepted create with this id',
    new ApiError({
      status: 404,
      code: 'EVENT_REQUEST_NOT_FOUND',
      message: 'Event request "5b2f0a1e-9c1d-4f7e-8a51-2d9d3c6f1e42" not found',
      log: 'none',
    }),
  )
  @ApiErrorResponse(
    'Invalid id',
    new ApiError({
      status: 400,
      code: 'VALIDATION_FAILED',
      message: ['id must be a request id (a UUID)'],
      log: 'none',
    }),
  )
  @ApiErrorResponse(
    'Shared state (Redis) is unavailable: retry after Retry-After',
    queueUnavailable(),
  )
  async get(@Param() { id }: EventRequestIdParams): Promise<EventRequestView> {
    const request = await this.deliveries.find(id);
    if (!request) {
      throw new ApiError({
        status: 404,
        code: 'EVENT_REQUEST_NOT_FOUND',
        message: `Event request "${id}" not found`,
        log: 'none',
      });
    }
    return request;
  }
}
