import { Answer } from '../common/answer';
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  MemoryHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { getHeapStatistics } from 'node:v8';
import { CircuitBreakerHealthIndicator } from './circuit-breaker.health';
import { ConcurrencyLimitHealthIndicator } from './concurrency-limit.health';
import { ApiLivenessResponses, ApiReadinessResponses } from './health.openapi';
import { EventRequestsHealthIndicator } from './event-requests.health';
import { JwksHealthIndicator } from './jwks.health';
import { RedisHealthIndicator } from './redis.health';
import { ShutdownHealthIndicator } from './shutdown.health';

/** Liveness fails only when the heap is nearly exhausted: a generous limit, never the upstream. */
const HEAP_LIMIT_BYTES = Math.floor(getHeapStatistics().heap_size_limit * 0.95);

@ApiTags('Health')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly memory: MemoryHealthIndicator,
    private readonly breakers: CircuitBreakerHealthIndicator,
    private readonly lifecycle: ShutdownHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly deliveries: EventRequestsHealthIndicator,
    private readonly jwks: JwksHealthIndicator,
    private readonly concurrencyLimit: ConcurrencyLimitHealthIndicator,
  ) {}

  @Get('health')
  @ApiOperation({
    summary: 'Liveness probe',
    description: 'Up while the process can serve. Never depends on the upstream or the breakers.',
  })
  // Terminus's own OpenAPI examples describe a database and redis this app does not have.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiLivenessResponses()
  liveness(): Promise<HealthCheckResult | Answer<HealthCheckResult>> {
    return this.run([() => this.memory.checkHeap('heap', HEAP_LIMIT_BYTES)]);
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness probe',
    description:
      'Lists every circuit breaker and the upstream concurrency limit (informational: its limit, calls in flight and waiting; never fails readiness), and Redis when REDIS_URL is set. With authentication on, the JWKS too. An OPEN, FORCED_OPEN or HALF_OPEN breaker, Redis away, or the JWKS unreachable makes it `degraded` (200); with READINESS_FAIL_ON_OPEN_CIRCUIT=true an OPEN or FORCED_OPEN breaker makes it fail (503). A DISABLED breaker refuses nothing. Fails at once while shutting down.',
  })
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiReadinessResponses()
  readiness(): Promise<HealthCheckResult | Answer<HealthCheckResult>> {
    return this.run([
      () => this.lifecycle.check('lifecycle'),
      () => this.breakers.check('circuitBreakers'),
      () => this.concurrencyLimit.check('concurrencyLimit'),
      ...(this.redis.configured ? [() => this.redis.check('redis')] : []),
      ...(this.deliveries.configured ? [() => this.deliveries.check('eventDeliveries')] : []),
      ...(this.jwks.configured ? [() => this.jwks.check('jwks')] : []),
    ]);
  }

  /** Answers Terminus's own JSON whatever the status, rather than the generic error body. */
  private async run(
    checks: Parameters<HealthCheckService['check']>[0],
  ): Promise<HealthCheckResult | Answer<HealthCheckResult>> {
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      return new Answer(error.getResponse() as HealthCheckResult, {}, 503);
    }
  }
}
