import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { PROBE_ROUTES } from '../common/probe-routes';
import { onUnroutedAnswer } from '../common/unrouted-answers';
import { serverSpanOf, traceFields } from '../tracing/server-spans';
import { PINO } from './pino-logger';

/**
 * One log line per answered request, written from a Fastify hook once the answer is sent: method,
 * URL, route template, status, duration and correlation id. Probes and scrapes are left out.
 * Every answer is logged, including those Fastify gives before Nest runs (404, 414, 415).
 */
@Injectable()
export class RequestLogHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(PINO) private readonly pino: Logger,
  ) {}

  onModuleInit(): void {
    if (!this.pino.isLevelEnabled('info')) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const pino = this.pino;
    const log = (request: FastifyRequest, reply: FastifyReply): void => {
      const route = request.routeOptions.url;
      if (route !== undefined && PROBE_ROUTES.has(route)) return;
      const statusCode = reply.statusCode;
      const responseTime = Math.round(reply.elapsedTime);
      pino.info(
        {
          correlationId: request.id,
          ...traceFields(serverSpanOf(request)),
          route: route ?? 'unmatched',
          req: { method: request.method, url: request.url },
          res: { statusCode },
          responseTime,
        },
        `${request.method} ${route ?? request.url} ${statusCode} ${responseTime} ms`,
      );
    };
    fastify.addHook('onResponse', (request, reply, done) => {
      log(request, reply);
      done();
    });
    onUnroutedAnswer(fastify, log);
  }
}
