import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IdParams } from '../common/dto/id-params.dto';
import {
  ApiInvalidIdResponse,
  ApiNotFoundResponse,
  ApiRateLimitedResponse,
} from '../common/openapi/api-error-responses.decorator';
import { ApiUpstreamErrorResponses } from '../event-api/event-api-error.responses';
import type { Event, User } from '../event-api/event-api.models';
import { EventDto } from '../events/dto/event.dto';
import { UserDto } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('Users')
@ApiUpstreamErrorResponses()
@ApiRateLimitedResponse()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'List users' })
  @ApiOkResponse({ type: [UserDto] })
  getUsers(): Promise<User[]> {
    return this.users.getUsers();
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one user' })
  @ApiOkResponse({ type: UserDto })
  @ApiInvalidIdResponse()
  @ApiNotFoundResponse('No such user', 'USER_NOT_FOUND')
  getUser(@Param() { id }: IdParams): Promise<User> {
    return this.users.getUser(id);
  }

  @Get(':id/events')
  @ApiOperation({
    summary: "List a user's events",
    description:
      'Fetches the events concurrently (each distinct id once, bounded by UPSTREAM_MAX_CONCURRENCY), in the order the user lists them. Ids the upstream no longer knows are left out.',
  })
  @ApiOkResponse({ type: [EventDto] })
  @ApiInvalidIdResponse()
  @ApiNotFoundResponse('No such user', 'USER_NOT_FOUND')
  getUserEvents(@Param() { id }: IdParams): Promise<Event[]> {
    return this.users.getUserEvents(id);
  }
}
