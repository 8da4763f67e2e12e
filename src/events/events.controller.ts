import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  ApiBadRequestResponse,
  ApiJsonBodyResponses,
  ApiNotFoundResponse,
  ApiRateLimitedResponse,
  ApiUpstreamErrorResponses,
} from '../common/api-error-responses.decorator';
import { ErrorResponseDto } from '../common/dto/error-response.dto';
import { IdParams } from '../common/dto/id-params.dto';
import type { Event } from '../upstream/event-api.models';
import { CreateEventDto } from './dto/create-event.dto';
import { EventDto } from './dto/event.dto';
import { EventsService } from './events.service';

const UNKNOWN_OWNER = {
  status: 422,
  description: 'The userId names no existing user',
  type: ErrorResponseDto,
};

@ApiTags('Events')
@ApiUpstreamErrorResponses()
@ApiRateLimitedResponse()
@Controller()
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get('events')
  @ApiOperation({ summary: 'List events' })
  @ApiOkResponse({ type: [EventDto] })
  getEvents(): Promise<Event[]> {
    return this.events.getEvents();
  }

  @Get('getEvents')
  @ApiOperation({ summary: 'List events (legacy path: use GET /events)', deprecated: true })
  @ApiOkResponse({ type: [EventDto] })
  getEventsLegacy(): Promise<Event[]> {
    return this.events.getEvents();
  }

  @Get('events/:id')
  @ApiOperation({ summary: 'Get one event (the target of the Location header of POST /events)' })
  @ApiOkResponse({ type: EventDto })
  @ApiBadRequestResponse('Invalid id')
  @ApiNotFoundResponse('No such event')
  getEvent(@Param() { id }: IdParams): Promise<Event> {
    return this.events.getEvent(id);
  }

  @Get('users/:id/events')
  @ApiOperation({
    summary: "List a user's events",
    description:
      'Fetches the events concurrently (each distinct id once, bounded by UPSTREAM_MAX_CONCURRENCY), in the order the user lists them. Ids the upstream no longer knows are left out.',
  })
  @ApiOkResponse({ type: [EventDto] })
  @ApiBadRequestResponse('Invalid id')
  @ApiNotFoundResponse('No such user')
  getUserEvents(@Param() { id }: IdParams): Promise<Event[]> {
    return this.events.getEventsForUser(id);
  }

  @Get('getEventsByUserId/:id')
  @ApiOperation({
    summary: "List a user's events (legacy path: use GET /users/{id}/events)",
    deprecated: true,
  })
  @ApiOkResponse({ type: [EventDto] })
  @ApiBadRequestResponse('Invalid id')
  @ApiNotFoundResponse('No such user')
  getUserEventsLegacy(@Param() { id }: IdParams): Promise<Event[]> {
    return this.events.getEventsForUser(id);
  }

  @Post('events')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an event', description: 'The gateway assigns the id (a UUID).' })
  @ApiCreatedResponse({ type: EventDto, description: 'Created; `Location` names the new event' })
  @ApiHeader({
    name: 'Content-Type',
    required: true,
    schema: { type: 'string', enum: ['application/json'] },
  })
  @ApiBadRequestResponse('Invalid body (see `message` for every rule broken)')
  @ApiResponse(UNKNOWN_OWNER)
  @ApiJsonBodyResponses()
  async createEvent(
    @Body() body: CreateEventDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Event> {
    const event = await this.events.createEvent(body);
    void reply.header('location', `/events/${encodeURIComponent(event.id)}`);
    return event;
  }

  @Post('addEvent')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create an event (legacy path: use POST /events)', deprecated: true })
  @ApiOkResponse({ type: EventDto })
  @ApiBadRequestResponse('Invalid body (see `message` for every rule broken)')
  @ApiResponse(UNKNOWN_OWNER)
  @ApiJsonBodyResponses()
  createEventLegacy(@Body() body: CreateEventDto): Promise<Event> {
    return this.events.createEvent(body);
  }
}
