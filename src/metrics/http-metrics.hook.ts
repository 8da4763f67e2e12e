import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Histogram } from 'prom-client';
import { PROBE_ROUTES } from '../common/probe-routes';
import { onUnroutedAnswer } from '../common/unrouted-answers';
import { METRICS } from './metric-names';

/**
 * Times every answered request into `http_request_duration_seconds` by method, route template
 * (`/users/:id`, never the raw URL, so labels stay bounded) and status. Probes and scrapes are left
 * out so they do not drown the traffic they watch.
 */
@Injectable()
export class HttpMetricsHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @InjectMetric(METRICS.httpRequestDuration)
    private readonly duration: Histogram<'method' | 'route' | 'status_code'>,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const observe = (request: FastifyRequest, reply: FastifyReply): void => {
      const route = request.routeOptions.url ?? 'unmatched';
      if (PROBE_ROUTES.has(route)) return;
      this.duration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    };
    fastify.addHook('onResponse', (request, reply, done) => {
      observe(request, reply);
      done();
    });
    onUnroutedAnswer(fastify, observe);
  }
}
