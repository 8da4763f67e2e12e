import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by `@NoRequestBody()`: the route takes no body (see server/json-bodies.ts). */
    noRequestBody?: boolean;
  }
}

/**
 * Marks a POST route that takes no body (an action such as `.../reset`): it may be called with no
 * body and no Content-Type (`curl -X POST`), or with an empty JSON one; a body that is not JSON is
 * still refused with 415.
 */
export function NoRequestBody(): MethodDecorator {
  return RouteConfig({ noRequestBody: true });
}

/** Whether the request's route was marked with `@NoRequestBody()`. */
export function takesNoBody(request: FastifyRequest): boolean {
  return request.routeOptions.config?.noRequestBody === true;
}
