import { Controller, Get, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { AdminToken, bearerToken } from '../admin/admin-token';
import { ApiError } from '../common/errors/api-error';
import type { GatewayConfig } from '../config/gateway-config';

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
 * `GET /metrics` for Prometheus: never rate limited, not part of the public API document. With
 * METRICS_TOKEN set, only a scrape with `Authorization: Bearer <METRICS_TOKEN>` is answered (the
 * token compared in constant time, as the admin token is).
 */
@ApiExcludeController()
@SkipThrottle()
@Controller()
export class MetricsController extends PrometheusController {
  private readonly token: AdminToken | undefined;

  constructor(config: ConfigService<GatewayConfig, true>) {
    super();
    const token = config.get('metrics.token', { infer: true });
    this.token = token === undefined ? undefined : new AdminToken(token);
  }

  @Get()
  override index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    if (this.token) {
      const presented = bearerToken(response.request.headers.authorization);
      if (presented === undefined) throw unauthorized(false);
      if (!this.token.matches(presented)) throw unauthorized(true);
    }
    return super.index(response);
  }
}
