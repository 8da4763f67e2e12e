import { Controller, Get, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { AdminToken, bearerToken } from '../admin/admin-token';
import { ApiError } from '../common/errors/api-error';
import type { GatewayConfig } from '../common/config/gateway-config';

/** 401 with `WWW-Authenticate: Bearer` (RFC 6750); the presented token is never echoed or logged. */
function unauthorized(wrongToken: boolean): ApiError {
  const challenge = 'Bearer realm="event-gateway-metrics"';
  return new ApiError({
    status: 401,
    code: 'UNAUTHORIZED',
    message: 'GET /metrics needs the metrics token: send Authorization: Bearer <METRICS_TOKEN>',
    headers: {
      'www-authenticate': wrongToken ? `${challenge}, error="invalid_token"` : challenge,
    },
    log: 'none',
  });
}

/**
 * `GET /metrics` for Prometheus: never rate limited. With
 * METRICS_TOKEN set, only a scrape with `Authorization: Bearer <METRICS_TOKEN>` is answered (the
 * token compared in constant time, as the admin token is).
 */
@ApiTags('Health')
@Controller()
export class MetricsController extends PrometheusController {
  private readonly token: AdminToken | undefined;

  constructor(config: ConfigService<GatewayConfig, true>) {
    super();
    const token = config.get('metrics.token', { infer: true });
    this.token = token === undefined ? undefined : new AdminToken(token);
  }

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
    if (this.token) {
      const presented = bearerToken(response.request.headers.authorization);
      if (presented === undefined) throw unauthorized(false);
      if (!this.token.matches(presented)) throw unauthorized(true);
    }
    return super.index(response);
  }
}
