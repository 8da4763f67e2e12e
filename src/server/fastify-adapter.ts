import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CORRELATION_ID_HEADER, correlationIdFor } from '../common/correlation-id';
import { toErrorResponse } from '../common/errors/error-response';
import { reportUnroutedAnswer } from '../common/unrouted-answers';
import type { GatewayConfig } from '../config/gateway-config';

/** The Fastify adapter with the gateway's server options (built before Nest's DI exists). */
export function createFastifyAdapter(config: GatewayConfig): FastifyAdapter {
  return new FastifyAdapter({
    // No Express-style middleware is used: middie's per-request hook is not needed.
    skipMiddie: true,
    genReqId: correlationIdFor,
    // Slow or stalled clients cannot hold connections (and file descriptors) for as long as they
    // like: headers must arrive within the headers timeout, the whole request within the request
    // timeout, and a keep-alive connection is closed after being idle that long.
    requestTimeout: config.app.requestTimeoutMs,
    keepAliveTimeout: config.app.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.app.headersTimeoutMs,
      // How often Node checks those deadlines (by default every 30 s, so a stalled connection
      // would be closed up to 30 s late).
      connectionsCheckingInterval: Math.min(1000, Math.ceil(config.app.headersTimeoutMs / 4)),
    },
    requestIdHeader: false,
    bodyLimit: config.security.bodyLimitBytes,
    trustProxy: config.security.trustProxy,
    // Prototype-poisoning keys in JSON bodies are refused with 400 (Fastify's default, made explicit).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // URLs the router refuses before any hook or Nest runs (malformed, over-long parameters):
    // answered in the common error shape too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const { status, headers, body } = toErrorResponse(error, request.id, {
        bodyLimitBytes: config.security.bodyLimitBytes,
      });
      void reply
        .status(status)
        .headers({ ...headers, [CORRELATION_ID_HEADER]: request.id })
        .send(body);
      reportUnroutedAnswer(request, reply);
    },
  });
}
