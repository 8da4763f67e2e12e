import { Body, Controller, Get, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Answer } from '../common/answer';
import { IdParam } from '../common/id-param';
import {
  ApiIdPathParam,
  ApiNotFoundResponse,
  ApiRateLimitedResponse,
} from '../common/openapi/api-error-responses.decorator';
import { ApiUpstreamErrorResponses } from '../upstream/event-api-error.responses';
import type { Event, User } from '../upstream/event-api.models';
import { ApiCreateEventBody, IDEMPOTENT_REPLAYED } from '../event-creation/create-event.openapi';
import { CreateEventDto } from '../events/dto/create-event.dto';
import { EventDto } from '../events/dto/event.dto';
import { answerCreation } from '../event-creation/creation-answer';
import { EventCreation } from '../event-creation/event-creation.service';
import { EventsService } from '../events/events.service';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from '../idempotency/idempotency-key';
import { ApiCachedRead } from '../read-cache/read-cache.openapi';
import { CachedRoute } from '../read-cache/cached-route';
import { CacheKeys, ReadCache } from '../read-cache/read-cache.service';
import { UserDto } from '../users/dto/user.dto';
import { UsersService } from '../users/users.service';

/**
 * The original system's paths, kept for existing clients: same logic as the resource routes, the
 * original status codes (a create answers 200), marked deprecated.
 */
@ApiTags('Legacy')
@ApiUpstreamErrorResponses()
@ApiRateLimitedResponse()
@Controller()
export class LegacyController {
  constructor(
    private readonly users: UsersService,
    private readonly events: EventsService,
    private readonly creation: EventCreation,
    private readonly cache: ReadCache,
  ) {}

  @Get('getUsers')
  @CachedRoute(CacheKeys.users)
  @ApiOperation({ summary: 'List users (use GET /users)', deprecated: true })
  @ApiCachedRead({ type: [UserDto] })
  getUsers(): Promise<Answer<User[]>> {
    return this.cache.serve(CacheKeys.users(), () => this.users.getUsers());
  }

  @Get('getEventsByUserId/:id')
  @CachedRoute(CacheKeys.userEvents)
  @ApiOperation({
    summary: "List a user's events (use GET /users/{id}/events)",
    description:
      'The original contract: any failed fetch fails the whole list. `Prefer: handling=lenient` is not honoured here (only on GET /v1/users/{id}/events).',
    deprecated: true,
  })
  @ApiCachedRead({ type: [EventDto] })
  @ApiIdPathParam()
  @ApiNotFoundResponse('No such user', 'USER_NOT_FOUND')
  getEventsByUserId(@IdParam() id: string): Promise<Answer<Event[]>> {
    // Strict whatever Prefer says: new behaviour only on the resource path, like respond-async.
    return this.cache.serve(CacheKeys.userEvents(id), () => this.users.getUserEvents(id));
  }

  @Get('getEvents')
  @CachedRoute(CacheKeys.events)
  @ApiOperation({ summary: 'List events (use GET /events)', deprecated: true })
  @ApiCachedRead({ type: [EventDto] })
  getEvents(): Promise<Answer<Event[]>> {
    return this.cache.serve(CacheKeys.events(), () => this.events.getEvents());
  }

  @Post('addEvent')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create an event (use POST /events)', deprecated: true })
  @ApiOkResponse({ type: EventDto, headers: IDEMPOTENT_REPLAYED })
  @ApiCreateEventBody()
  async addEvent(
    @Body() body: CreateEventDto,
    @Headers(IDEMPOTENCY_KEY_HEADER) idempotencyKey: string | undefined,
  ): Promise<Answer<unknown>> {
    // Shares the key scope of POST /events; answers in the original system's convention.
    const creation = await this.creation.create({
      input: body,
      idempotencyKey: parseIdempotencyKey(idempotencyKey),
      respondAsync: false,
    });
    return answerCreation(creation, 'legacy');
  }
}
