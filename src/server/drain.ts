import type { FastifyInstance } from 'fastify';

/**
 * While the gateway drains (from the start of shutdown), every answer carries `Connection: close`:
 * keep-alive clients learn to open a new connection (to another replica) instead of sending more
 * requests on this one, and each connection ends once its answer is written. The server then has
 * no socket left to wait for, and the process exits as soon as the last answer is out, rather than
 * at the shutdown deadline. Idle connections are closed by the server's own close.
 */
export function closeConnectionsWhileDraining(
  fastify: FastifyInstance,
  draining: () => boolean,
): void {
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining()) void reply.header('connection', 'close');
    done(null, payload);
  });
}
