import { Controller, Get, HttpCode, Ip, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Answer } from '../common/answer';
import { NoRequestBody } from '../common/no-request-body';
import { ApiRateLimitedResponse } from '../common/openapi/api-error-responses.decorator';
import { EventRequestIdParams } from '../event-requests/dto/event-request-id.params';
import type { DeadLetterPage } from '../event-requests/event-request.model';
import { ApiAdminUnauthorizedResponse } from './admin.openapi';
import { AdminTokenGuard } from './admin-token.guard';
import { DeadLetterQuery } from './dto/dead-letter-query.dto';
import { ApiListDeadLetters, ApiRetryDeadLetter } from './event-requests-admin.openapi';
import { EventRequestsAdmin, type RetriedEventRequest } from './event-requests-admin.service';

/**
 * Operators' dead letters: accepted creates that were given up, listed and retried. Registered only
 * with ADMIN_TOKEN and REDIS_URL (the queue); every route needs the token, and is rate limited like
 * the rest of the API. The queue is shared: any replica answers for all of them.
 */
@ApiTags('Admin')
@ApiBearerAuth()
@ApiAdminUnauthorizedResponse()
@ApiRateLimitedResponse()
@UseGuards(AdminTokenGuard)
@Controller('admin/event-requests')
export class EventRequestsAdminController {
  constructor(private readonly admin: EventRequestsAdmin) {}

  @Get()
  @ApiListDeadLetters()
  list(@Query() { limit, cursor }: DeadLetterQuery): Promise<DeadLetterPage> {
    return this.admin.list(limit, cursor);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @NoRequestBody()
  @ApiRetryDeadLetter()
  async retry(
    @Param() { id }: EventRequestIdParams,
    @Ip() client: string,
  ): Promise<Answer<RetriedEventRequest>> {
    const retried = await this.admin.retry(id, client);
    return new Answer(retried, { location: `/event-requests/${encodeURIComponent(id)}` });
  }
}
