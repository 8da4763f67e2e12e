import { Controller, Get, Headers } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Answer } from '../common/answer';
import { RESOURCE_API_VERSIONS } from '../common/api-version';
import { IdParam } from '../common/id-param';
import { preferredHandling } from '../common/prefer';
import {
  ApiIdPathParam,
  ApiNotFoundResponse,
  ApiRateLimitedResponse,
} from '../common/openapi/api-error-responses.decorator';
import { ApiUpstreamErrorResponses } from '../upstream/event-api-error.responses';
import type { Event, User } from '../upstream/event-api.models';
import { EventDto } from '../events/dto/event.dto';
import { ApiCachedRead } from '../read-cache/read-cache.openapi';
import { CachedRoute } from '../read-cache/cached-route';
import { CacheKeys, ReadCache } from '../read-cache/read-cache.service';
import { UserDto } from './dto/user.dto';
import { PartialUserEvents } from './partial-user-events';
import {
  ApiPreferHandling,
  LENIENT_ANSWER_DESCRIPTION,
  LENIENT_ANSWER_HEADERS,
} from './partial-user-events.openapi';
import { UsersService } from './users.service';

@ApiTags('Users')
@ApiUpstreamErrorResponses()
@ApiRateLimitedResponse()
@Controller({ path: 'users', version: RESOURCE_API_VERSIONS })
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly cache: ReadCache,
    private readonly partial: PartialUserEvents,
  ) {}

  @Get()
  @CachedRoute(CacheKeys.users)
  @ApiOperation({ summary: 'List users' })
  @ApiCachedRead({ type: [UserDto] })
  getUsers(): Promise<Answer<User[]>> {
    return this.cache.serve(CacheKeys.users(), () => this.users.getUsers());
  }

  @Get(':id')
  @CachedRoute(CacheKeys.user)
  @ApiOperation({ summary: 'Get one user' })
  @ApiCachedRead({ type: UserDto })
  @ApiIdPathParam()
  @ApiNotFoundResponse('No such user', 'USER_NOT_FOUND')
  getUser(@IdParam() id: string): Promise<Answer<User>> {
    return this.cache.serve(CacheKeys.user(id), () => this.users.getUser(id));
  }

  @Get(':id/events')
  @CachedRoute(CacheKeys.userEvents)
  @ApiOperation({
    summary: "List a user's events",
    description:
      'Fetches the events concurrently (each distinct id once, bounded by UPSTREAM_MAX_CONCURRENCY), in the order the user lists them. Ids the upstream no longer knows are left out. ' +
      'Any other failed fetch fails the whole list, unless the request says `Prefer: handling=lenient`: then the answer is the events the gateway has, and the headers say which are missing or stale, and why.',
  })
  @ApiCachedRead({
    type: [EventDto],
    description: LENIENT_ANSWER_DESCRIPTION,
    headers: LENIENT_ANSWER_HEADERS,
  })
  @ApiIdPathParam()
  @ApiPreferHandling()
  @ApiNotFoundResponse('No such user', 'USER_NOT_FOUND')
  getUserEvents(
    @IdParam() id: string,
    @Headers('prefer') prefer: string | undefined,
  ): Promise<Answer<Event[]>> {
    if (preferredHandling(prefer) === 'lenient') return this.partial.serve(id);
    return this.cache.serve(CacheKeys.userEvents(id), () => this.users.getUserEvents(id));
  }
}
