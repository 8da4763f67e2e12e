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
import { readCacheKeyOf } from '../read-cache/cached-route';
import { ReadCache } from '../read-cache/read-cache.service';
import { ClientRateLimit } from '../rate-limit/client-rate-limit';
import { HttpMetrics } from '../metrics/http-metrics';
import { unwrapAnswer } from '../common/answer';
import { CORRELATION_ID_HEADER } from '../common/correlation-id';
import type { ErrorResponse } from '../common/errors/error-response';
import { onUnroutedAnswer } from '../common/unrouted-answers';
import type { GatewayConfig } from '../common/config/gateway-config';
import { serverSpans } from '../tracing/server-spans';
import { Tracing } from '../tracing/tracing.service';
import { ShutdownState } from '../health/shutdown-state';
import { closeConnectionsWhileDraining } from './drain';
import { parseJsonBodies, unsupportedContentType } from './json-bodies';
import { methodNotAllowed } from './method-not-allowed';
import { API_SECURITY_HEADERS, isDocsPage, pageSecurityHeaders } from './security';

/**
 * Every Fastify hook of the gateway, registered here and nowhere else, in the order they run.
 * Steps 11–13 are Nest's, registered by `configureApp` and the controllers: the pipes (the
 * `ValidationPipe` for bodies, `ParseIdPipe` for ids), the handler, and the `AllExceptionsFilter`
 * for anything thrown. No Nest guard or interceptor runs on a request, and a read that step 9
 * answers from the read cache never reaches Nest's router.
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
  const pageHeaders = Object.fromEntries(pageSecurityHeaders());
  const wrongMethod = methodNotAllowed(fastify); // records every route's methods from now on
  const rateLimit = app.get(ClientRateLimit, { strict: false });
  const createRefusal = app.get(CreateRefusal, { strict: false });
  const requestLog = app.get(RequestLog, { strict: false });
  const readCache = app.get(ReadCache, { strict: false });
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
  //    (errors and refusals included) carries them. API answers get the few an API needs; Swagger
  //    UI's pages get the full set (server/security.ts).
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply
      .headers(isDocsPage(request.url) ? pageHeaders : API_SECURITY_HEADERS)
      .header(CORRELATION_ID_HEADER, request.id);
    done();
  });

  // 3. The client's rate limit: every request counts (unknown paths, refusals, /docs), probes and
  //    /metrics apart, before anything else can answer. A route that needs a bearer token counts
  //    in its step 6 instead, once the token says whose budget it is.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config?.authenticated === true) return done();
    const counted = (limited: ErrorResponse | undefined) => {
      if (limited) return answer(reply, limited);
      // 4. A path no route matched but that exists under other methods: 405 with Allow.
      const wrong = request.routeOptions.url === undefined ? wrongMethod(request) : undefined;
      if (wrong) return answer(reply, wrong);
      done();
    };
    const limited = rateLimit.check(request, reply);
    // At once with the counters in memory; with Redis, once it has answered.
    if (limited instanceof Promise) limited.then(counted).catch(done);
    else counted(limited);
  });

  // 5–9. Per route, after the hooks above.
  const legacyHeaders = deprecationHeaders(config.legacy.sunsetAt);
  fastify.addHook('onRoute', (route) => {
    const hooks: onRequestHookHandler[] = [];
    // 5. Legacy paths say they are deprecated, on every answer (errors included).
    if (route.url in LEGACY_SUCCESSORS) {
      hooks.push((request, reply, done) => {
        legacyHeaders(request, reply);
        done();
      });
    }
    // 6. With AUTH_*: the bearer token, before any other check can tell an anonymous client
    //    anything (415, the breaker's state) and before the body is read; creates need the write
    //    scope. Then the rate limit counts the request against the token's subject (or, refused,
    //    against the client's address): a flood of bad tokens costs budget too.
    if (authenticator && !isPublicRoute(route.method.toString(), route.url)) {
      const scope =
        route.method === 'POST' && CREATE_ROUTES.has(route.url)
          ? config.auth?.writeScope
          : undefined;
      route.config = { ...route.config, authenticated: true };
      hooks.push((request, reply, done) => {
        authenticator
          .authenticate(request, scope)
          .then(async (refused) => {
            const limited = await rateLimit.check(request, reply);
            if (limited) return answer(reply, limited);
            if (refused) return answer(reply, refused);
            done();
          })
          .catch(done);
      });
    }
    // 7. A body that is not JSON: 415 before any byte of it is read (every method but GET).
    if (route.method !== 'GET') {
      hooks.push((request, _reply, done: HookHandlerDoneFunction) =>
        done(unsupportedContentType(request)),
      );
    }
    // 8. A create while the write breaker is open: 503 before its body is read.
    if (route.method === 'POST' && CREATE_ROUTES.has(route.url)) {
      hooks.push((request, reply, done) => {
        const refused = createRefusal.check(request);
        if (refused) return answer(reply, refused);
        done();
      });
    }
    // 9. A read whose fresh copy the read cache holds in process memory is answered here, before
    //    Nest's router, pipes and handler: the same `Answer` the handler would give, serialised by
    //    step 14 (read-cache/cached-route.ts says why that is safe). Anything else goes on. Not
    //    added at all when the cache keeps nothing or keeps it in Redis (nothing to answer at once).
    if (readCache.answersAtOnce && route.config?.readCacheKey !== undefined) {
      hooks.push((request, reply, done) => {
        const key = readCacheKeyOf(request);
        const hit = key === undefined ? undefined : readCache.freshAnswer(key);
        if (hit) return void reply.send(hit);
        done();
      });
    }
    if (hooks.length > 0) route.onRequest = [...toArray(route.onRequest), ...hooks];
  });

  // 10. The body, parsed by the gateway's JSON parser (after onRequest, before Nest).
  parseJsonBodies(fastify);

  // 14. A handler's `Answer` (a cached read's `Cache-Status`, a create's 201 and `Location`): its
  //     status and headers go on the reply, its body is serialised.
  fastify.addHook('preSerialization', (_request, reply, payload, done) =>
    done(null, unwrapAnswer(reply, payload)),
  );

  // 15. Once the answer is sent: the span ends, one log line, the HTTP histogram.
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

  // 16. While the gateway drains (from SIGTERM on), every answer says `Connection: close`, so
  //     keep-alive clients move to another replica and the process exits once its last answer is
  //     out (server/drain.ts).
  const shutdown = app.get(ShutdownState, { strict: false });
  closeConnectionsWhileDraining(fastify, () => shutdown.isShuttingDown);

  // 17. A client that goes away before its answer: the span ends as an error.
  fastify.addHook('onRequestAbort', (request, done) => {
    spans.abort(request);
    done();
  });
}

const toArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on routes that need a bearer token (with AUTH_*): they count their rate limit after it. */
    authenticated?: boolean;
  }
}
