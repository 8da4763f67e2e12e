import { ApiError } from '../common/errors/api-error';
import { toSeconds } from '../common';

/** The realm named in every `WWW-Authenticate` challenge of the API. */
export const API_REALM = 'event-gateway';

/**
 * An RFC 6750 challenge. Every value passed here is the gateway's own fixed text (never the
 * token or any part of it), so none needs escaping; a quote or backslash would be a bug.
 */
function challenge(params: Readonly<Record<string, string>>): string {
  const all = { realm: API_REALM, ...params };
  for (const value of Object.values(all)) {
    if (/["\\]/.test(value)) throw new Error(`not a quotable challenge value: ${value}`);
  }
  return `Bearer ${Object.entries(all)
    .map(([name, value]) => `${name}="${value}"`)
    .join(', ')}`;
}

/** 401 for a request without a bearer token: a bare challenge, no `error` (RFC 6750 §3.1). */
export function authenticationRequired(): ApiError {
  return new ApiError({
    status: 401,
    code: 'AUTHENTICATION_REQUIRED',
    message: 'This route needs a bearer token: send Authorization: Bearer <access token>',
    headers: { 'www-authenticate': challenge({}) },
    log: 'none',
  });
}

/** 401 `invalid_token`: malformed, forged, expired, not yet valid, or another issuer's or audience's. */
export function invalidToken(description: string): ApiError {
  return new ApiError({
    status: 401,
    code: 'INVALID_TOKEN',
    message: description,
    headers: {
      'www-authenticate': challenge({ error: 'invalid_token', error_description: description }),
    },
    log: 'none',
  });
}

/** 403 `insufficient_scope`, naming the scope the operation needs. */
export function insufficientScope(scope: string): ApiError {
  const description = `This operation needs the scope ${scope}`;
  return new ApiError({
    status: 403,
    code: 'INSUFFICIENT_SCOPE',
    message: description,
    headers: {
      'www-authenticate': challenge({
        error: 'insufficient_scope',
        error_description: description,
        scope,
      }),
    },
    log: 'none',
  });
}

/**
 * 503 when no known key matches the token and the JWKS cannot be fetched: the token may well be
 * valid (signed with a key rotated in during the outage), so this is not the client's fault.
 */
export function keysUnavailable(retryAfterMs: number): ApiError {
  return new ApiError({
    status: 503,
    code: 'AUTH_KEYS_UNAVAILABLE',
    error: 'Service temporarily unavailable',
    message: "The identity provider's signing keys cannot be fetched right now: retry later",
    headers: { 'retry-after': String(Math.max(1, toSeconds(retryAfterMs))) },
    log: 'warn',
  });
}
