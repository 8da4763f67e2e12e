import { Controller, Get, HttpCode, Ip, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { NoRequestBody } from '../common/no-request-body';
import { ApiRateLimitedResponse } from '../common/openapi/api-error-responses.decorator';
import {
  ADMIN_EXAMPLES,
  ApiAdminUnauthorizedResponse,
  ApiBreakerAction,
  ApiListBreakers,
} from './admin.openapi';
import { AdminTokenGuard } from './admin-token.guard';
import {
  CircuitBreakerAdmin,
  type CircuitBreakerActionResult,
  type CircuitBreakerStatus,
} from './circuit-breaker-admin.service';
import { BreakerNameParams } from './dto/breaker-name-params.dto';

/**
 * Operators' controls over this replica's circuit breakers. Registered only when ADMIN_TOKEN is
 * set; every route needs it as a bearer token, and is rate limited like the rest of the API.
 */
@ApiTags('Admin')
@ApiBearerAuth()
@ApiAdminUnauthorizedResponse()
@ApiRateLimitedResponse()
@UseGuards(AdminTokenGuard)
@Controller('admin/circuit-breakers')
export class AdminController {
  constructor(private readonly breakers: CircuitBreakerAdmin) {}

  @Get()
  @ApiListBreakers()
  list(): CircuitBreakerStatus[] {
    return this.breakers.list();
  }

  @Post(':name/force-open')
  @HttpCode(200)
  @NoRequestBody()
  @ApiBreakerAction(
    'Force a breaker open',
    'Refuses every call it guards at once (503, `circuitBreakerState: "FORCED_OPEN"`, Retry-After) without contacting the upstream, until reset. Time alone never ends it.',
    ADMIN_EXAMPLES.forceOpen,
  )
  forceOpen(
    @Param() { name }: BreakerNameParams,
    @Ip() client: string,
  ): CircuitBreakerActionResult {
    return this.breakers.apply(name, 'force-open', client);
  }

  @Post(':name/disable')
  @HttpCode(200)
  @NoRequestBody()
  @ApiBreakerAction(
    'Disable a breaker',
    'Lets every call through and never trips, until reset; outcomes are still counted in the totals and metrics.',
    ADMIN_EXAMPLES.disable,
  )
  disable(@Param() { name }: BreakerNameParams, @Ip() client: string): CircuitBreakerActionResult {
    return this.breakers.apply(name, 'disable', client);
  }

  @Post(':name/reset')
  @HttpCode(200)
  @NoRequestBody()
  @ApiBreakerAction(
    'Reset a breaker',
    'Back to CLOSED with an empty window and backoff, from any state (ends force-open and disable).',
    ADMIN_EXAMPLES.reset,
  )
  reset(@Param() { name }: BreakerNameParams, @Ip() client: string): CircuitBreakerActionResult {
    return this.breakers.apply(name, 'reset', client);
  }
}
