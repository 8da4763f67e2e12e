import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
import { principalOf } from '../auth/principal';
import { PROBE_ROUTES } from '../common/probe-routes';
import { serverSpanOf, traceFields } from '../tracing/server-spans';
import { PINO } from './pino-logger';

const { lsCacheSym, timeSym, chindingsSym, endSym, streamSym, needsMetadataGsym } = pino.symbols;

/** The parts of the process's pino logger a request line is written with (read at start). */
interface LineParts {
  /** `{"level":30` */
  readonly level: string;
  /** `,"time":…`, as the logger's `timestamp` option writes it. */
  readonly time: () => string;
  /** The logger's bindings (`,"pid":…,"hostname":…`). */
  readonly bindings: string;
  /** `}` and the end of line. */
  readonly end: string;
  readonly stream: { write(line: string): unknown };
}

/** `parts` when pino's internals are as expected and its destination takes plain lines. */
function lineParts(logger: Logger): LineParts | undefined {
  const internals = logger as unknown as Record<symbol, unknown>;
  const stream = internals[streamSym] as Record<symbol, unknown> & { write?: unknown };
  const level = (internals[lsCacheSym] as Record<number, unknown> | undefined)?.[INFO];
  const time = internals[timeSym];
  const bindings = internals[chindingsSym];
  const end = internals[endSym];
  if (
    typeof stream?.write !== 'function' ||
    stream[needsMetadataGsym] === true ||
    typeof level !== 'string' ||
    typeof time !== 'function' ||
    typeof bindings !== 'string' ||
    typeof end !== 'string'
  ) {
    return undefined;
  }
  return {
    level,
    time: time as () => string,
    bindings,
    end,
    stream: stream as unknown as LineParts['stream'],
  };
}

const INFO = 30;
const str = JSON.stringify;

/**
 * One log line per answered request, written once the answer is sent (the request pipeline calls
 * `write` from onResponse, and for answers Fastify gives before any route runs): method, URL,
 * route template, status, duration, correlation id and trace ids, and the subject of a verified
 * bearer token (`sub`; never the token). Probes and scrapes are left out.
 *
 * The line is the one `pino.info(fields, msg)` writes (level, time, the logger's bindings, then the
 * fields, in that order; a test compares them), built from one template and handed to pino's
 * destination: pino's generic serialisation walks the fields object key by key, about three times
 * the cost of the template, on every answer (docs/performance.md). A destination that needs
 * pino's metadata (a multistream) gets the line through `pino.info` instead.
 */
@Injectable()
export class RequestLog {
  private readonly parts: LineParts | undefined;

  constructor(@Inject(PINO) private readonly pino: Logger) {
    this.parts = lineParts(pino);
  }

  /** Whether lines are written at all (LOG_LEVEL above info: no per-request work). */
  get enabled(): boolean {
    return this.pino.isLevelEnabled('info');
  }

  write(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url;
    if (route !== undefined && PROBE_ROUTES.has(route)) return;
    const statusCode = reply.statusCode;
    const responseTime = Math.round(reply.elapsedTime);
    const subject = principalOf(request)?.subject;
    const { trace_id, span_id } = traceFields(serverSpanOf(request));
    const msg = `${request.method} ${route ?? request.url} ${statusCode} ${responseTime} ms`;
    const parts = this.parts;
    if (parts === undefined) {
      this.pino.info(
        {
          correlationId: request.id,
          ...(trace_id === undefined ? {} : { trace_id, span_id }),
          route: route ?? 'unmatched',
          ...(subject === undefined ? {} : { sub: subject }),
          req: { method: request.method, url: request.url },
          res: { statusCode },
          responseTime,
        },
        msg,
      );
      return;
    }
    parts.stream.write(
      `${parts.level}${parts.time()}${parts.bindings}` +
        `,"correlationId":${str(request.id)}` +
        (trace_id === undefined ? '' : `,"trace_id":"${trace_id}","span_id":"${span_id}"`) +
        `,"route":${route === undefined ? '"unmatched"' : str(route)}` +
        (subject === undefined ? '' : `,"sub":${str(subject)}`) +
        `,"req":{"method":${str(request.method)},"url":${str(request.url)}}` +
        `,"res":{"statusCode":${statusCode}},"responseTime":${responseTime}` +
        `,"msg":${str(msg)}${parts.end}`,
    );
  }
}
