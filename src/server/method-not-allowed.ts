import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toErrorResponse, type ErrorResponse } from '../common/errors/error-response';
import { ApiError } from '../common/errors/api-error';

/** A route's path as a pattern: `:name` matches one segment, `*` the rest of the path. */
function patternToRegExp(url: string): RegExp {
  const source = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) => {
      if (part === '*') return '.*';
      if (part.startsWith(':')) return '[^/]+';
      return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`);
}

/**
 * Records every route's methods as it is registered (so it must be called before any route is),
 * and returns the check the request pipeline runs in onRequest: for a path that exists under other
 * methods (DELETE /events/1), the 405 with `Allow` to answer instead of the router's 404
 * "Cannot DELETE"; `undefined` otherwise.
 */
export function methodNotAllowed(
  fastify: FastifyInstance,
): (request: FastifyRequest) => ErrorResponse | undefined {
  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
  fastify.addHook('onRoute', (route) => {
    // The catch-all a CORS plugin registers for preflights (OPTIONS *) names no path: recorded,
    // it would make every unknown path a 405 "allowed: OPTIONS" instead of a 404.
    if (route.url === '*' || route.url === '/*') return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    let entry = routes.find((known) => known.pattern.source === patternToRegExp(route.url).source);
    if (!entry) {
      entry = { pattern: patternToRegExp(route.url), methods: new Set() };
      routes.push(entry);
    }
    for (const method of methods) entry.methods.add(method);
  });

  return (request) => {
    if (request.routeOptions.url !== undefined) return undefined; // a route matched
    const path = request.url.split('?')[0];
    const allowed = new Set<string>();
    for (const { pattern, methods } of routes) {
      if (pattern.test(path)) for (const method of methods) allowed.add(method);
    }
    // No such path (the router's 404). A path that takes this very method would have matched a
    // route; a 405 naming the method it refuses would contradict itself.
    if (allowed.size === 0 || allowed.has(request.method)) return undefined;
    const allow = [...allowed].sort().join(', ');
    return toErrorResponse(
      new ApiError({
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
        message: `${request.method} is not allowed on this path; allowed: ${allow}`,
        headers: { allow },
        log: 'none',
      }),
      request.id,
    );
  };
}
