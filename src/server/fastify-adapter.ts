import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError, type Problem } from '../common/errors/api-error';
import { CORRELATION_ID_HEADER, correlationIdFor } from '../common/correlation-id';
import { toErrorResponse } from '../common/errors/error-response';
import { reportUnroutedAnswer } from '../common/unrouted-answers';
import type { GatewayConfig } from '../common/config/gateway-config';
import { API_SECURITY_HEADERS } from './security';

/**
 * The security headers, for answers given before any hook runs (the router's refusals, the HTTP
 * parser's; all JSON errors): the docs promise them on every answer.
 */
const SECURITY_HEADERS = API_SECURITY_HEADERS;

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
    clientErrorHandler: answerClientError,
    // URLs the router refuses before any hook or Nest runs (malformed, over-long parameters):
    // answered in the common error shape too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const { status, headers, body } = toErrorResponse(error, request.id, {
        bodyLimitBytes: config.security.bodyLimitBytes,
      });
      void reply
        .status(status)
        .headers({ ...SECURITY_HEADERS, ...headers, [CORRELATION_ID_HEADER]: request.id })
        .send(body);
      reportUnroutedAnswer(request, reply);
    },
  });
}

type ClientErrorProblem = Pick<Problem, 'status' | 'code' | 'message'>;

/** What Node's HTTP server reports about a client before any request exists, by error code. */
const CLIENT_ERRORS: Readonly<Record<string, ClientErrorProblem>> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'REQUEST_TIMEOUT',
    message: 'The request did not arrive in time',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'HEADERS_TOO_LARGE',
    message: 'The request headers are too large',
  },
};

const MALFORMED_REQUEST: ClientErrorProblem = {
  status: 400,
  code: 'BAD_REQUEST',
  message: 'The request is not valid HTTP/1.1 (for example, a control character in a header)',
};

/**
 * Requests Node's HTTP parser refuses before Fastify sees a request (a header with a control
 * character, headers that never finished arriving, headers too large) are answered in the common
 * error shape too, with a request id of their own, and the connection is closed.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const problem = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED_REQUEST;
  const requestId = randomUUID();
  const { status, body } = toErrorResponse(new ApiError({ ...problem, log: 'none' }), requestId);
  const json = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\n${CORRELATION_ID_HEADER}: ${requestId}\r\n` +
        Object.entries(SECURITY_HEADERS)
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('') +
        `Connection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}
