import { Body, Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Answer } from '../common/answer';
import { CURRENT_API_PREFIX, RESOURCE_API_VERSIONS } from '../common/api-version';
import { ApiRateLimitedResponse } from '../common/openapi/api-error-responses.decorator';
import { ApiUpstreamErrorResponses } from '../upstream/event-api-error.responses';
import { CreateEventDto } from '../events/dto/create-event.dto';
import { EventDto } from '../events/dto/event.dto';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from '../idempotency/idempotency-key';
import {
  ApiAcceptedCreate,
  ApiCreateEventBody,
  ApiCreateUnavailable,
  IDEMPOTENT_REPLAYED,
} from './create-event.openapi';
import { answerCreation, prefersRespondAsync } from './creation-answer';
import { EventCreation } from './event-creation.service';

@ApiTags('Events')
@ApiUpstreamErrorResponses()
@ApiRateLimitedResponse()
@Controller({ path: 'events', version: RESOURCE_API_VERSIONS })
export class EventCreationController {
  constructor(private readonly creation: EventCreation) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create an event',
    description:
      'The gateway assigns the id (a UUID). With `Idempotency-Key`, a retry gets the first outcome again and the event is never stored twice. ' +
      'With `Prefer: respond-async` (and REDIS_URL set), the create is accepted on a durable queue and answered 202 at once, even while the Event API is down; without REDIS_URL the preference is not applied (201, no Preference-Applied).',
  })
  @ApiCreatedResponse({
    type: EventDto,
    description: 'Created; `Location` names the new event',
    headers: {
      Location: {
        description: 'The new event: GET it at this path',
        required: true,
        schema: { type: 'string', example: '/events/3361b4f6-724e-45d4-b04e-e3349da74928' },
      },
      ...IDEMPOTENT_REPLAYED,
    },
  })
  @ApiAcceptedCreate()
  @ApiCreateEventBody()
  @ApiCreateUnavailable()
  async createEvent(
    @Body() body: CreateEventDto,
    @Headers(IDEMPOTENCY_KEY_HEADER) idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Req() request: FastifyRequest,
  ): Promise<Answer<unknown>> {
    const creation = await this.creation.create({
      input: body,
      idempotencyKey: parseIdempotencyKey(idempotencyKey),
      respondAsync: prefersRespondAsync(prefer),
    });
    // Location names the new resource under the version the create came on.
    const versioned = request.routeOptions.url?.startsWith(`${CURRENT_API_PREFIX}/`) === true;
    return answerCreation(creation, 'resource', versioned ? CURRENT_API_PREFIX : '');
  }
}
