import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Answer } from '../common/answer';
import { RESOURCE_API_VERSIONS } from '../common/api-version';
import { IdParam } from '../common/id-param';
import {
  ApiIdPathParam,
  ApiNotFoundResponse,
  ApiRateLimitedResponse,
} from '../common/openapi/api-error-responses.decorator';
import { ApiUpstreamErrorResponses } from '../upstream/event-api-error.responses';
import type { Event } from '../upstream/event-api.models';
import { EventDto } from './dto/event.dto';
import { EventsService } from './events.service';
import { ApiCachedRead } from '../read-cache/read-cache.openapi';
import { CachedRoute } from '../read-cache/cached-route';
import { CacheKeys, ReadCache } from '../read-cache/read-cache.service';

@ApiTags('Events')
@ApiUpstreamErrorResponses()
@ApiRateLimitedResponse()
@Controller({ path: 'events', version: RESOURCE_API_VERSIONS })
export class EventsController {
  constructor(
    private readonly events: EventsService,
    private readonly cache: ReadCache,
  ) {}

  @Get()
  @CachedRoute(CacheKeys.events)
  @ApiOperation({ summary: 'List events' })
  @ApiCachedRead({ type: [EventDto] })
  getEvents(): Promise<Answer<Event[]>> {
    return this.cache.serve(CacheKeys.events(), () => this.events.getEvents());
  }

  @Get(':id')
  @CachedRoute(CacheKeys.event)
  @ApiOperation({ summary: 'Get one event (the target of the Location header of POST /events)' })
  @ApiCachedRead({ type: EventDto })
  @ApiIdPathParam()
  @ApiNotFoundResponse('No such event', 'EVENT_NOT_FOUND')
  getEvent(@IdParam() id: string): Promise<Answer<Event>> {
    return this.cache.serve(CacheKeys.event(id), () => this.events.getEvent(id));
  }
}
