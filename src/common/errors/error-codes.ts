/**
 * The stable, machine-readable `code` of every error body, so clients can branch on it instead of
 * matching message text. Values never change once published; new causes get new codes.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: 'The path, query or body broke an input rule (see message for each one)',
  MALFORMED_JSON: 'The body is empty or not valid JSON',
  FORBIDDEN_KEY: 'The body holds "__proto__" or "constructor.prototype"',
  BAD_REQUEST: 'The request is malformed',
  USER_NOT_FOUND: 'No user with this id',
  EVENT_NOT_FOUND: 'No event with this id',
  ROUTE_NOT_FOUND: 'No route for this path',
  METHOD_NOT_ALLOWED: 'The path exists, but not for this method (see Allow)',
  PAYLOAD_TOO_LARGE: 'The body is larger than the limit',
  URI_TOO_LONG: 'A path parameter is too long',
  REQUEST_TIMEOUT: 'The request (headers or body) did not arrive within the server timeouts',
  HEADERS_TOO_LARGE: 'The request headers are larger than the server accepts',
  UNSUPPORTED_MEDIA_TYPE: 'The body is not application/json',
  UNKNOWN_USER: 'The userId in the body names no existing user',
  INVALID_IDEMPOTENCY_KEY: 'Idempotency-Key is not 1 to 255 printable ASCII characters',
  IDEMPOTENCY_KEY_REUSED: 'The Idempotency-Key was first used with a different body',
  IDEMPOTENCY_REQUEST_IN_FLIGHT: 'The first request with this Idempotency-Key is still in flight',
  EVENT_REQUEST_NOT_FOUND: 'No accepted create request with this id',
  EVENT_REQUEST_NOT_FAILED:
    'Only a failed accepted create can be retried; this one is pending or delivered',
  DELIVERY_QUEUE_FULL:
    'The queue of accepted creates is at EVENT_DELIVERY_MAX_PENDING: nothing was done, retry after Retry-After',
  STATE_UNAVAILABLE: 'Shared state (Redis) is unavailable: nothing was done, retry shortly',
  ACCEPTANCE_UNKNOWN:
    'Shared state did not confirm the create was queued: it may be delivered; retry with the same Idempotency-Key',
  RATE_LIMITED: 'Too many requests from this client (see Retry-After)',
  INTERNAL_ERROR: 'An unexpected error; details are only in the log',
  UPSTREAM_BAD_STATUS: 'The Event API answered with a status the gateway cannot use (5xx, 3xx)',
  UPSTREAM_REJECTED_REQUEST: 'The Event API refused the request with an unexpected 4xx',
  UPSTREAM_UNREACHABLE: 'The connection to the Event API failed',
  UPSTREAM_MALFORMED_RESPONSE: 'The Event API answered with a body of the wrong shape',
  UPSTREAM_TIMEOUT: 'The Event API did not answer in time',
  CIRCUIT_OPEN: 'A circuit breaker refused the call without contacting the Event API',
  UPSTREAM_OVERLOADED:
    'The concurrency limit toward the Event API refused the call without contacting it (see Retry-After)',
  UNAUTHORIZED: 'The admin routes need a valid token (Authorization: Bearer <ADMIN_TOKEN>)',
  BREAKER_NOT_FOUND: 'No circuit breaker with this name',
  AUTHENTICATION_REQUIRED:
    'The API needs a bearer token (Authorization: Bearer <JWT access token>)',
  INVALID_TOKEN:
    'The bearer token is malformed, forged, expired, not yet valid, or for another issuer or audience',
  INSUFFICIENT_SCOPE:
    'The bearer token lacks the scope this operation needs (see WWW-Authenticate)',
  AUTH_KEYS_UNAVAILABLE:
    "The identity provider's keys (JWKS) cannot be fetched, and none known matches the token",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The code of an error that carries only an HTTP status (from Nest, Fastify or a guard). */
export const DEFAULT_CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};
