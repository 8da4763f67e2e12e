import type { FastifyInstance } from 'fastify';
import { toErrorResponse } from '../common/errors/error-response';
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
  return new RegExp(`^${source}/?$`);
}

/**
 * Answers 405 with `Allow` for a path that exists under other methods (DELETE /events/1), instead
 * of the router's 404 "Cannot DELETE". Routes are recorded as they are registered, so this must
 * be installed before any route is.
 */
export function answerMethodNotAllowed(fastify: FastifyInstance): void {
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

  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.url !== undefined) {
      done(); // a route matched: nothing to do
      return;
    }
    const path = request.url.split('?')[0];
    const allowed = new Set<string>();
    for (const { pattern, methods } of routes) {
      if (pattern.test(path)) for (const method of methods) allowed.add(method);
    }
    if (allowed.size === 0) {
      done(); // no such path: the router's 404
      return;
    }
    const allow = [...allowed].sort().join(', ');
    const { status, headers, body } = toErrorResponse(
      new ApiError({
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
        message: `${request.method} is not allowed on this path; allowed: ${allow}`,
        headers: { allow },
        log: 'none',
      }),
      request.id,
    );
    void reply.code(status).headers(headers).send(body);
  });
}
