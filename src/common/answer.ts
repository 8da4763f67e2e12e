import type { FastifyReply } from 'fastify';

/**
 * What a handler answers when its status or headers depend on how it was served (a cached read's
 * `Cache-Status`, a create's 201 and `Location`): controllers return it instead of taking `@Res`,
 * and the request pipeline applies it to the reply (`unwrapAnswer`).
 */
export class Answer<T> {
  constructor(
    readonly body: T,
    readonly headers: Readonly<Record<string, string>> = {},
    /** The status, when it is not the route's default (`@HttpCode`). */
    readonly status?: number,
  ) {}
}

/**
 * A handler's `Answer`, applied to the reply as it is serialised (the request pipeline's
 * preSerialization step): its status and headers are set and its body is what is sent. Anything
 * else passes unchanged. A Fastify hook rather than a Nest interceptor: an interceptor puts an
 * RxJS pipeline on every request (about 8% of a cached read's CPU in a profile), this is one
 * `instanceof`.
 */
export function unwrapAnswer(reply: FastifyReply, payload: unknown): unknown {
  if (!(payload instanceof Answer)) return payload;
  if (payload.status !== undefined) void reply.code(payload.status);
  void reply.headers(payload.headers);
  return payload.body as unknown;
}
