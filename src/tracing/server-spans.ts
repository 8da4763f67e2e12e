import {
  context,
  defaultTextMapGetter,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBE_ROUTES } from '../common/probe-routes';
import { requestContext } from '../common/request-context';
import type { Tracing } from './tracing.service';

const spans = new WeakMap<FastifyRequest, Span>();

/** The SERVER span of a request, if it has one (probes and scrapes do not). */
export function serverSpanOf(request: FastifyRequest): Span | undefined {
  return spans.get(request);
}

/** `trace_id` and `span_id` of a span, for log lines. */
export function traceFields(span: Span | undefined): { trace_id?: string; span_id?: string } {
  const spanContext = span?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/** The HTTP semantic-convention attributes of a SERVER span (built only when spans are recorded). */
function serverAttributes(request: FastifyRequest, route: string | undefined): Attributes {
  return {
    [ATTR_HTTP_REQUEST_METHOD]: request.method,
    [ATTR_URL_PATH]: request.url.split('?')[0],
    [ATTR_URL_SCHEME]: request.protocol,
    [ATTR_CLIENT_ADDRESS]: request.ip,
    ...(route === undefined ? {} : { [ATTR_HTTP_ROUTE]: route }),
    ...(request.headers['user-agent']
      ? { [ATTR_USER_AGENT_ORIGINAL]: request.headers['user-agent'] }
      : {}),
    correlation_id: request.id,
  };
}

/**
 * The SERVER span of each request, as three Fastify hook handlers (registered by the request
 * pipeline). `start` enters the request's one async context, with its correlation id and its span:
 * the caller's `traceparent`/`tracestate` continue its trace, or a new one starts. The span is
 * named by method and route template (`GET /users/:id/events`), carries the HTTP semantic-convention
 * attributes and the status, and ends when the answer is sent (or the client goes away). Probes and
 * /metrics are not traced. Entered in onRequest: Fastify keeps the context through body parsing into
 * Nest's handler.
 */
export function serverSpans(tracing: Tracing) {
  return {
    start(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
      const route = request.routeOptions.url;
      const correlation = { correlationId: request.id };
      if (route !== undefined && PROBE_ROUTES.has(route)) {
        requestContext.run(correlation, done);
        return;
      }
      const parent = tracing.propagator.extract(
        context.active(),
        request.headers,
        defaultTextMapGetter,
      );
      const name = route === undefined ? request.method : `${request.method} ${route}`;
      const span = tracing.recording
        ? tracing.tracer.startSpan(
            name,
            { kind: SpanKind.SERVER, attributes: serverAttributes(request, route) },
            parent,
          )
        : tracing.tracer.startSpan(name, { kind: SpanKind.SERVER }, parent);
      spans.set(request, span);
      requestContext.run(correlation, done, trace.setSpan(parent, span));
    },

    end(request: FastifyRequest, reply: FastifyReply): void {
      const span = spans.get(request);
      if (!span) return;
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },

    abort(request: FastifyRequest): void {
      const span = spans.get(request);
      if (!span) return;
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'client closed the connection' });
      span.end();
    },
  };
}
