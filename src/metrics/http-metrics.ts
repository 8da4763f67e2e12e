import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Histogram } from 'prom-client';
import { PROBE_ROUTES } from '../common/probe-routes';
import { METRICS } from './metric-names';

/**
 * Times every answered request into `http_request_duration_seconds` by method, route template
 * (`/users/:id`, never the raw URL, so labels stay bounded) and status; the request pipeline calls
 * `observe` once the answer is sent. Probes and scrapes are left out so they do not drown the
 * traffic they watch.
 */
@Injectable()
export class HttpMetrics {
  constructor(
    @InjectMetric(METRICS.httpRequestDuration)
    private readonly duration: Histogram<'method' | 'route' | 'status_code'>,
  ) {}

  observe(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? 'unmatched';
    if (PROBE_ROUTES.has(route)) return;
    this.duration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  }
}
