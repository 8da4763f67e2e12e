import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { authenticationRequired, insufficientScope, invalidToken } from '../auth/bearer-errors';
import { isPublicRoute } from '../auth/principal';
import { CREATE_ROUTES } from '../event-creation/create-refusal';
import { CURRENT_API_PREFIX } from '../common/api-version';
import type { AuthConfig } from '../common/config/gateway-config';
import { SERVICE_VERSION } from '../common/config/service-version';
import { CORRELATION_ID_HEADER } from '../common/correlation-id';
import { PROBE_ROUTES } from '../common/probe-routes';
import { toErrorResponse } from '../common/errors/error-response';
import { DOCS_PATH } from './security';

/** The name of the JWT bearer scheme in the document (`bearer` is the admin token's). */
export const JWT_SECURITY_SCHEME = 'jwt';

/**
 * The OpenAPI document at /docs-json and Swagger UI at /docs. The document is built on the first
 * request for it, not at start-up: most replicas never serve it, and building it walks every
 * controller's metadata.
 */
export function setupOpenApi(
  app: NestFastifyApplication,
  { adminRoutes, auth }: { adminRoutes: boolean; auth?: AuthConfig },
): void {
  const builder = new DocumentBuilder()
    .setTitle('Event Management API')
    .setDescription(
      'A resilient gateway in front of the Event API. Every upstream call goes through a circuit breaker: ' +
        'when it is open, calls answer 503 at once with Retry-After. Legacy paths of the original system are kept and marked deprecated. ' +
        'Every error has the body { statusCode, error, code, message, requestId }; `code` is stable and machine-readable. Clients are rate limited per IP, or per token subject when authentication is on (429 with Retry-After). ' +
        'The resource API is versioned in the path (`/v1/…`); every `/v1` path also answers without the prefix, identically (an alias of v1, not listed here).',
    )
    .setVersion(SERVICE_VERSION);
  // The admin routes (and so their security scheme) exist only when ADMIN_TOKEN is set.
  if (adminRoutes) {
    builder.addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'opaque', // not a JWT: the value of ADMIN_TOKEN
      description: 'ADMIN_TOKEN, for the /admin routes',
    });
  }
  if (auth) {
    builder.addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: `A JWT access token from the identity provider (issuer ${auth.issuer}, audience ${auth.audience}); creates need the scope ${auth.writeScope}`,
      },
      JWT_SECURITY_SCHEME,
    );
  }
  const info = builder.build();
  const document = () =>
    withCommonHeaders(finishDocument(SwaggerModule.createDocument(app, info), auth));
  SwaggerModule.setup(DOCS_PATH.slice(1), app, document, {
    jsonDocumentUrl: 'docs-json',
    raw: ['json'],
  });
}

type Operation = {
  security?: Record<string, string[]>[];
  responses: Record<string, unknown>;
  [key: string]: unknown;
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/**
 * What the decorators cannot say: the unversioned aliases of the `/v1` paths are left out (one
 * primary path per operation), and with authentication on every protected operation declares the
 * JWT bearer scheme and its 401 (and, for creates, 403) answers, chosen by the same rule that
 * protects routes at run time (`isPublicRoute`, `CREATE_ROUTES`).
 */
export function finishDocument(
  document: OpenAPIObject,
  auth: AuthConfig | undefined,
): OpenAPIObject {
  const paths = document.paths;
  for (const path of Object.keys(paths)) {
    if (!path.startsWith(`${CURRENT_API_PREFIX}/`) && `${CURRENT_API_PREFIX}${path}` in paths) {
      delete paths[path];
    }
  }
  if (!auth) return document;
  for (const [path, item] of Object.entries(paths)) {
    const route = path.replace(/\{(\w+)\}/g, ':$1');
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (!operation || isPublicRoute(method.toUpperCase(), route)) continue;
      operation.security = [{ [JWT_SECURITY_SCHEME]: [] }];
      operation.responses['401'] = authResponse(
        'No bearer token (no `error`), or an invalid one (`error="invalid_token"`): malformed, forged, expired, not yet valid, another issuer or audience',
        [authenticationRequired(), invalidToken('The token has expired')],
      );
      if (method === 'post' && CREATE_ROUTES.has(route)) {
        operation.responses['403'] = authResponse(
          `The token lacks the scope ${auth.writeScope} (\`error="insufficient_scope"\`)`,
          [insufficientScope(auth.writeScope)],
        );
      }
    }
  }
  return document;
}

function authResponse(description: string, causes: unknown[]) {
  const bodies = causes.map((cause) => toErrorResponse(cause, EXAMPLE_REQUEST_ID).body);
  return {
    description,
    headers: {
      'WWW-Authenticate': {
        description:
          'The RFC 6750 challenge: `Bearer realm="event-gateway"`, with `error` and `error_description` for a refused token',
        schema: { type: 'string' },
      },
    },
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/ErrorResponseDto' },
        examples: Object.fromEntries(
          bodies.map((body) => [body.code, { summary: body.code, value: body }]),
        ),
      },
    },
  };
}

const EXAMPLE_REQUEST_ID = '3f1c2a4e-8d0b-4d52-9a57-0f7d7f2b6a10';

type Header = { description: string; required?: boolean; schema: Record<string, unknown> };

const CORRELATION_HEADER: Header = {
  description:
    "The request id: the caller's own X-Correlation-Id when it is a short safe token, else a new UUID. Also the `requestId` of an error body.",
  required: true,
  schema: { type: 'string', example: '3f1c2a4e-8d0b-4d52-9a57-0f7d7f2b6a10' },
};

const rateLimitHeaders = (required: boolean): Record<string, Header> => ({
  'X-RateLimit-Limit': {
    description: 'Requests allowed per window (RATE_LIMIT_MAX)',
    required,
    schema: { type: 'integer', example: 100 },
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the current window',
    required,
    schema: { type: 'integer', example: 99 },
  },
  'X-RateLimit-Reset': {
    description: 'Seconds until the window starts again',
    required,
    schema: { type: 'integer', example: 60 },
  },
});

const DEPRECATION_HEADERS: Record<string, Header> = {
  Deprecation: {
    description: 'When this path was deprecated (RFC 9745): an @-prefixed Unix time',
    required: true,
    schema: { type: 'string', example: '@1763769600' },
  },
  Link: {
    description: 'The path that replaces it, `rel="successor-version"`',
    required: true,
    schema: { type: 'string', example: '</events>; rel="successor-version"' },
  },
  Sunset: {
    description: 'When this path stops working (RFC 8594), once LEGACY_SUNSET_AT announces it',
    schema: { type: 'string', example: 'Wed, 01 Jul 2026 00:00:00 GMT' },
  },
};

/**
 * The headers every answer carries, declared once for every operation rather than on each
 * decorator: the correlation id on all; the rate-limit headers on every rate-limited operation
 * (required on its successes, which always pass the limit); the deprecation headers on the legacy
 * paths.
 */
function withCommonHeaders(document: OpenAPIObject): OpenAPIObject {
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const operation of Object.values(operations) as {
      deprecated?: boolean;
      responses?: Record<string, { headers?: Record<string, unknown> }>;
    }[]) {
      if (!operation?.responses) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        response.headers = {
          ...response.headers,
          [headerName(CORRELATION_ID_HEADER)]: CORRELATION_HEADER,
          ...(PROBE_ROUTES.has(path) ? {} : rateLimitHeaders(status.startsWith('2'))),
          ...(operation.deprecated ? DEPRECATION_HEADERS : {}),
        };
      }
    }
  }
  return document;
}

/** `x-correlation-id` as headers are written in documents: `X-Correlation-Id`. */
const headerName = (name: string) =>
  name.replace(
    /(^|-)([a-z])/g,
    (_all, dash: string, letter: string) => dash + letter.toUpperCase(),
  );
