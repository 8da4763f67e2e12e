import type { FastifyInstance } from 'fastify';
import { CORRELATION_ID_HEADER } from '../common/correlation-id';

/** Every answer carries the request's correlation id (Fastify's request id, see correlation-id.ts). */
export function echoCorrelationId(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(CORRELATION_ID_HEADER, request.id);
    done();
  });
}
