import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';

/** `GET /metrics` for Prometheus: never rate limited. */
@ApiTags('Health')
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'HTTP, upstream, circuit-breaker, read-cache, queue and Node metrics in the Prometheus text format (docs/observability.md lists them). Not rate limited.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'The Prometheus text exposition format',
    content: {
      'text/plain': {
        schema: { type: 'string' },
        example:
          '# HELP circuit_breaker_state Circuit breaker state: 0 closed, 1 half-open, 2 open, 3 forced open, 4 disabled\n# TYPE circuit_breaker_state gauge\ncircuit_breaker_state{name="event-api.read"} 0\n',
      },
    },
  })
  override index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    return super.index(response);
  }
}
