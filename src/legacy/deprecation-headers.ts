import type { FastifyReply, FastifyRequest } from 'fastify';

/** When the legacy paths were deprecated: from the gateway's first release. */
export const LEGACY_DEPRECATED_AT = new Date('2026-11-22T00:00:00Z');

/** Each legacy route and the resource path that replaces it. */
export const LEGACY_SUCCESSORS: Readonly<Record<string, (params: { id?: string }) => string>> = {
  '/getUsers': () => '/users',
  '/getEvents': () => '/events',
  '/getEventsByUserId/:id': ({ id = '' }) => `/users/${encodeURIComponent(id)}/events`,
  '/addEvent': () => '/events',
};

/**
 * Every answer on a legacy path (errors included) says so on the wire: `Deprecation` (RFC 9745),
 * a `Link` to its successor (`rel="successor-version"`) and, when LEGACY_SUNSET_AT is set,
 * `Sunset` (RFC 8594). Returns the request pipeline's onRequest handler.
 */
export function deprecationHeaders(sunsetAt: Date | undefined) {
  const deprecation = `@${Math.floor(LEGACY_DEPRECATED_AT.getTime() / 1000)}`;
  const sunset = sunsetAt?.toUTCString();
  return (request: FastifyRequest, reply: FastifyReply): void => {
    const successor = LEGACY_SUCCESSORS[request.routeOptions.url ?? ''];
    if (!successor) return;
    void reply.header('deprecation', deprecation);
    void reply.header(
      'link',
      `<${successor(request.params as { id?: string })}>; rel="successor-version"`,
    );
    if (sunset) void reply.header('sunset', sunset);
  };
}
