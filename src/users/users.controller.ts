import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiRateLimitedResponse,
  ApiUpstreamErrorResponses,
} from '../common/api-error-responses.decorator';
import { IdParams } from '../common/dto/id-params.dto';
import type { User } from '../upstream/event-api.models';
import { UserDto } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('Users')
@ApiUpstreamErrorResponses()
@ApiRateLimitedResponse()
@Controller()
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('users')
  @ApiOperation({ summary: 'List users' })
  @ApiOkResponse({ type: [UserDto] })
  getUsers(): Promise<User[]> {
    return this.users.getUsers();
  }

  @Get('getUsers')
  @ApiOperation({ summary: 'List users (legacy path: use GET /users)', deprecated: true })
  @ApiOkResponse({ type: [UserDto] })
  getUsersLegacy(): Promise<User[]> {
    return this.users.getUsers();
  }

  @Get('users/:id')
  @ApiOperation({ summary: 'Get one user' })
  @ApiOkResponse({ type: UserDto })
  @ApiBadRequestResponse('Invalid id')
  @ApiNotFoundResponse('No such user')
  getUser(@Param() { id }: IdParams): Promise<User> {
    return this.users.getUser(id);
  }
}
