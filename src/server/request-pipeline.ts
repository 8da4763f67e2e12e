import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type {
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestHookHandler,
} from 'fastify';
import { AUTHENTICATOR, isPublicRoute, type Authenticator } from '../auth/principal';
import { CREATE_ROUTES, CreateRefusal } from '../event-creation/create-refusal';
import { deprecationHeaders, LEGACY_SUCCESSORS } from '../legacy/deprecation-headers';
import { RequestLog } from '../logging/request-log';
import { HttpMetrics } from '../metrics/http-metrics';
import { CORRELATION_ID_HEADER } from '../shared/correlation-id';
import type { ErrorResponse } from '../shared/errors/error-response';
import { onUnroutedAnswer } from '../shared/unrouted-answers';
import type { GatewayConfig } from '../shared/config/gateway-config';
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
 * must happen before the body is read. Hooks that only some routes need are attached to those
 * routes as they are registered, so a read never runs the checks of a create.
 *
 * Must be called before the app's routes are registered (before `init`/`listen`).
 */
export function registerRequestPipeline(app: NestFastifyApplication, config: GatewayConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  const spans = serverSpans(app.get(Tracing));
  const headers = Object.fromEntries(securityHeaders());
  const wrongMethod = methodNotAllowed(fastify); // records every route's methods from now on
  const createRefusal = app.get(CreateRefusal, { strict: false });
  const requestLog = app.get(RequestLog, { strict: false });
  const httpMetrics = app.get(HttpMetrics, { strict: false });
  const authenticator = config.auth
    ? app.get<symbol, Authenticator>(AUTHENTICATOR, { strict: false })
    : undefined;
  const answer = (reply: FastifyReply, { status, headers: extra, body }: ErrorResponse) =>
    void reply.code(status).headers(extra).send(body);

  // 1. The request's async context and SERVER span: first, so every later hook, Nest's handler and
  //    the upstream calls run inside them (correlation id, trace context).
  fastify.addHook('onRequest', spans.start);

  // 2. Security headers and the correlation id: before anything can answer, so that every answer
  //    (errors and refusals included) carries them. Then, for a path no route matched but that
  //    exists under other methods: 405 with Allow, instead of the router's 404.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(headers).header(CORRELATION_ID_HEADER, request.id);
    if (request.routeOptions.url === undefined) {
      const wrong = wrongMethod(request);
      if (wrong) return answer(reply, wrong);
    }
    done();
  });

  // 3–6. Per route, after the two above.
  const legacyHeaders = deprecationHeaders(config.legacy.sunsetAt);
  fastify.addHook('onRoute', (route) => {
    const hooks: onRequestHookHandler[] = [];
    // 3. Legacy paths say they are deprecated, on every answer (errors included).
    if (route.url in LEGACY_SUCCESSORS) {
      hooks.push((request, reply, done) => {
        legacyHeaders(request, reply);
        done();
      });
    }
    // 4. With AUTH_*: the bearer token, before any other check can tell an anonymous client
    //    anything (415, the breaker's state) and before the body is read; creates need the write
    //    scope. Its principal is then what the rate limit counts, the log line and span name.
    if (authenticator && !isPublicRoute(route.method.toString(), route.url)) {
      const scope =
        route.method === 'POST' && CREATE_ROUTES.has(route.url)
          ? config.auth?.writeScope
          : undefined;
      hooks.push((request, reply, done) => {
        void authenticator.authenticate(request, scope).then((refused) => {
          if (refused) return answer(reply, refused);
          done();
        });
      });
    }
    // 5. A body that is not JSON: 415 before any byte of it is read (every method but GET).
    if (route.method !== 'GET') {
      hooks.push((request, _reply, done: HookHandlerDoneFunction) =>
        done(unsupportedContentType(request)),
      );
    }
    // 6. A create while the write breaker is open: 503 before its body is read.
    if (route.method === 'POST' && CREATE_ROUTES.has(route.url)) {
      hooks.push((request, reply, done) => {
        const refused = createRefusal.check(request);
        if (refused) return answer(reply, refused);
        done();
      });
    }
    if (hooks.length > 0) route.onRequest = [...toArray(route.onRequest), ...hooks];
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

const toArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
