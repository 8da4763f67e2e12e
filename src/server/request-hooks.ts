import type { FastifyInstance } from 'fastify';
import { CORRELATION_ID_HEADER } from '../common/correlation-id';
import { requestContext } from '../common/request-context';

/** Every answer carries the request's correlation id (Fastify's request id, see correlation-id.ts). */
export function echoCorrelationId(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(CORRELATION_ID_HEADER, request.id);
    done();
  });
}

/**
 * Enters the request's async context once the body is parsed, so everything Nest runs for the
 * request (guards, pipes, the handler, upstream calls, log lines) can read its correlation id.
 * Entered here rather than in onRequest: body parsing runs in the socket's callbacks, which would
 * lose a context entered earlier.
 */
export function enterRequestContext(fastify: FastifyInstance): void {
  fastify.addHook('preHandler', (request, _reply, done) => {
    requestContext.run({ correlationId: request.id }, done);
  });
}
