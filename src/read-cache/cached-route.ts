import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by `@CachedRoute(key)`: the read-cache key of the route's answer (see cached-route.ts). */
    readCacheKey?: (id: string) => string;
  }
}

/**
 * Marks a GET route whose handler answers with `ReadCache.serve(key(id), …)`, `id` being its `:id`
 * (lists ignore it): a fresh copy held in process memory then answers the request in the request
 * pipeline, before Nest's router, pipes and handler run (server/request-pipeline.ts, step 9).
 *
 * The answer is the one the handler would give, by construction: the same `Answer`, made by the
 * same `ReadCache` code, serialised by the same hooks. The id needs no check of its own: only
 * validated ids are ever stored, and the key encodes the id one-to-one, so an id that finds an
 * entry is one the handler accepted. Anything else (a miss, a stale copy, Redis, a request that
 * states a `Prefer`) goes to the handler.
 */
export function CachedRoute(key: (id: string) => string): MethodDecorator {
  return RouteConfig({ readCacheKey: key });
}

/** The read-cache key of a request on a `@CachedRoute`, if it may be answered from there. */
export function readCacheKeyOf(request: FastifyRequest): string | undefined {
  const key = request.routeOptions.config?.readCacheKey;
  if (key === undefined || request.headers.prefer !== undefined) return undefined;
  return key((request.params as { id?: string } | undefined)?.id ?? '');
}
