import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CORRELATION_ID_HEADER } from '../shared/correlation-id';
import type { ErrorResponse } from '../shared/errors/error-response';
import { onUnroutedAnswer } from '../shared/unrouted-answers';
import type { GatewayConfig } from '../shared/config/gateway-config';
import { CreateRefusal } from '../event-creation/create-refusal';
import { deprecationHeaders } from '../legacy/deprecation-headers';
import { RequestLog } from '../logging/request-log';
import { HttpMetrics } from '../metrics/http-metrics';
import { serverSpans } from '../tracing/server-spans';
import { Tracing } from '../tracing/tracing.service';
import { parseJsonBodies, unsupportedContentType } from './json-bodies';
import { methodNotAllowed } from './method-not-allowed';
import { securityHeaders } from './security';

/**
 * Every Fastify hook of the gateway, registered here and nowhere else, in the order they run.
 * After them come Nest's stages, registered by their modules and `configureApp`: the rate-limit
 * guard (`RateLimitModule`), the `ValidationPipe`, the handler, the `AnswerInterceptor` (status and
 * headers of an `Answer`), and the `AllExceptionsFilter` for anything thrown.
 *
 * Raw hooks rather than Nest middleware or interceptors for these, because each must also see the
 * answers given before Nest runs (404, 405, 415, a refused create), and the refusals among them
 * must happen before the body is read.
 *
 * Must be called before the app's routes are registered (before `init`/`listen`): the 405 check
 * records every route as it is registered.
 */
export function registerRequestPipeline(app: NestFastifyApplication, config: GatewayConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  const spans = serverSpans(app.get(Tracing));
  const headers = Object.fromEntries(securityHeaders());
  const wrongMethod = methodNotAllowed(fastify);
  const legacyHeaders = deprecationHeaders(config.legacy.sunsetAt);
  const createRefusal = app.get(CreateRefusal, { strict: false });
  const requestLog = app.get(RequestLog, { strict: false });
  const httpMetrics = app.get(HttpMetrics, { strict: false });
  const answer = (reply: FastifyReply, { status, headers: extra, body }: ErrorResponse) =>
    void reply.code(status).headers(extra).send(body);

  // 1. The request's async context and SERVER span: first, so every later hook, Nest's handler and
  //    the upstream calls run inside them (correlation id, trace context).
  fastify.addHook('onRequest', spans.start);

  fastify.addHook('onRequest', (request, reply, done) => {
    // 2. Security headers and the correlation id: before anything can answer, so that every
    //    answer (errors and refusals included) carries them.
    void reply.headers(headers).header(CORRELATION_ID_HEADER, request.id);
    // 3. Legacy paths say they are deprecated, on every answer too.
    legacyHeaders(request, reply);
    // 4. A known path with the wrong method: 405 with Allow, instead of the router's 404.
    const wrong = wrongMethod(request);
    if (wrong) return answer(reply, wrong);
    // 5. A body that is not JSON: 415 before any byte of it is read.
    const unsupported = unsupportedContentType(request);
    if (unsupported) return done(unsupported);
    // 6. A create while the write breaker is open: 503 before its body is read.
    const refused = createRefusal.check(request);
    if (refused) return answer(reply, refused);
    done();
  });

  // 7. The body, parsed by the gateway's JSON parser (after onRequest, before Nest).
  parseJsonBodies(fastify);

  // 8. Once the answer is sent: the span ends, one log line, the HTTP histogram.
  const observe = requestLog.enabled
    ? (request: FastifyRequest, reply: FastifyReply) => {
        requestLog.write(request, reply);
        httpMetrics.observe(request, reply);
      }
    : (request: FastifyRequest, reply: FastifyReply) => httpMetrics.observe(request, reply);
  fastify.addHook('onResponse', (request, reply, done) => {
    spans.end(request, reply);
    observe(request, reply);
    done();
  });
  // Answers Fastify gives before any hook runs (a malformed URL) are logged and counted too.
  onUnroutedAnswer(fastify, observe);

  // 9. A client that goes away before its answer: the span ends as an error.
  fastify.addHook('onRequestAbort', (request, done) => {
    spans.abort(request);
    done();
  });
}
