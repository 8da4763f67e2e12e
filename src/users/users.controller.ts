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
import type { Event, User } from '../upstream/event-api.models';
import { EventDto } from '../events/dto/event.dto';
import { ApiCachedRead } from '../read-cache/read-cache.openapi';
import { CacheKeys, ReadCache } from '../read-cache/read-cache.service';
import { UserDto } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('Users')
@ApiUpstreamErrorResponses()
@ApiRateLimitedResponse()
@Controller({ path: 'users', version: RESOURCE_API_VERSIONS })
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly cache: ReadCache,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List users' })
  @ApiCachedRead({ type: [UserDto] })
  getUsers(): Promise<Answer<User[]>> {
    return this.cache.serve(CacheKeys.users(), () => this.users.getUsers());
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one user' })
  @ApiCachedRead({ type: UserDto })
  @ApiIdPathParam()
  @ApiNotFoundResponse('No such user', 'USER_NOT_FOUND')
  getUser(@IdParam() id: string): Promise<Answer<User>> {
    return this.cache.serve(CacheKeys.user(id), () => this.users.getUser(id));
  }

  @Get(':id/events')
  @ApiOperation({
    summary: "List a user's events",
    description:
      'Fetches the events concurrently (each distinct id once, bounded by UPSTREAM_MAX_CONCURRENCY), in the order the user lists them. Ids the upstream no longer knows are left out.',
  })
  @ApiCachedRead({ type: [EventDto] })
  @ApiIdPathParam()
  @ApiNotFoundResponse('No such user', 'USER_NOT_FOUND')
  getUserEvents(@IdParam() id: string): Promise<Answer<Event[]>> {
    return this.cache.serve(CacheKeys.userEvents(id), () => this.users.getUserEvents(id));
  }
}
