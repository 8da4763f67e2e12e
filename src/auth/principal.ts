import type { FastifyRequest } from 'fastify';
import type { ErrorResponse } from '../common/errors/error-response';
import { PROBE_ROUTES } from '../common/probe-routes';

/**
 * Who made a request, as a verified bearer token says: its subject (`sub`) and scopes (`scope`).
 * Kept beside the request, never the token itself. This file loads no JOSE code: the request
 * pipeline, the rate limit and the request log read it whether authentication is on or not.
 */
export interface Principal {
  readonly subject: string;
  readonly scopes: ReadonlySet<string>;
}

const principals = new WeakMap<FastifyRequest, Principal>();

/** The verified principal of a request, if it presented a valid bearer token. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}

export function setPrincipal(request: FastifyRequest, principal: Principal): void {
  principals.set(request, principal);
}

/** What the request pipeline asks about a protected route's request. */
export interface Authenticator {
  /**
   * Verifies the request's bearer token and, when `scope` is given, that the token grants it.
   * Resolves to undefined (and records the principal) when the request may go on, or to the
   * error to answer; never rejects.
   */
  authenticate(
    request: FastifyRequest,
    scope: string | undefined,
  ): Promise<ErrorResponse | undefined>;
}

/** Injection token of the `Authenticator` (only registered when AUTH_* is set). */
export const AUTHENTICATOR = Symbol('AUTHENTICATOR');

/** What readiness reads about the issuer's keys (see JwksKeys). */
export interface JwksStateSource {
  state(): { readonly status: 'up' | 'degraded'; readonly keys: number; readonly error?: string };
}

/** Injection token of the `JwksStateSource` (only registered when AUTH_* is set). */
export const JWKS_STATE = Symbol('JWKS_STATE');

/**
 * Routes open without a token: the probes and /metrics, `GET /` (links to the docs), Swagger UI
 * and its document, the admin routes (which have their own token), and CORS preflights. Every other route needs one, so a
 * route added later is protected unless it is listed here.
 */
export function isPublicRoute(method: string, url: string): boolean {
  return (
    method === 'OPTIONS' ||
    PROBE_ROUTES.has(url) ||
    url === '/' ||
    url === '/docs' ||
    url.startsWith('/docs/') ||
    url.startsWith('/docs-') ||
    url === '/admin' ||
    url.startsWith('/admin/')
  );
}
