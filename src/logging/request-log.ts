import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { principalOf } from '../auth/principal';
import { PROBE_ROUTES } from '../common/probe-routes';
import { serverSpanOf, traceFields } from '../tracing/server-spans';
import { PINO } from './pino-logger';

/**
 * One log line per answered request, written once the answer is sent (the request pipeline calls
 * `write` from onResponse, and for answers Fastify gives before any route runs): method, URL,
 * route template, status, duration, correlation id and trace ids, and the subject of a verified
 * bearer token (`sub`; never the token). Probes and scrapes are left out.
 */
@Injectable()
export class RequestLog {
  constructor(@Inject(PINO) private readonly pino: Logger) {}

  /** Whether lines are written at all (LOG_LEVEL above info: no per-request work). */
  get enabled(): boolean {
    return this.pino.isLevelEnabled('info');
  }

  write(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url;
    if (route !== undefined && PROBE_ROUTES.has(route)) return;
    const statusCode = reply.statusCode;
    const responseTime = Math.round(reply.elapsedTime);
    const principal = principalOf(request);
    this.pino.info(
      {
        correlationId: request.id,
        ...traceFields(serverSpanOf(request)),
        route: route ?? 'unmatched',
        ...(principal ? { sub: principal.subject } : {}),
        req: { method: request.method, url: request.url },
        res: { statusCode },
        responseTime,
      },
      `${request.method} ${route ?? request.url} ${statusCode} ${responseTime} ms`,
    );
  }
}
