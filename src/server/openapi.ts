import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { SERVICE_VERSION } from '../shared/config/service-version';
import { CORRELATION_ID_HEADER } from '../shared/correlation-id';
import { PROBE_ROUTES } from '../shared/probe-routes';

/**
 * The OpenAPI document at /docs-json and Swagger UI at /docs. The document is built on the first
 * request for it, not at start-up: most replicas never serve it, and building it walks every
 * controller's metadata.
 */
export function setupOpenApi(
  app: NestFastifyApplication,
  { adminRoutes }: { adminRoutes: boolean },
): void {
  const builder = new DocumentBuilder()
    .setTitle('Event Management API')
    .setDescription(
      'A resilient gateway in front of the Event API. Every upstream call goes through a circuit breaker: ' +
        'when it is open, calls answer 503 at once with Retry-After. Legacy paths of the original system are kept and marked deprecated. ' +
        'Every error has the body { statusCode, error, code, message, requestId }; `code` is stable and machine-readable. Clients are rate limited per IP (429 with Retry-After).',
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
  const info = builder.build();
  SwaggerModule.setup(
    'docs',
    app,
    () => withCommonHeaders(SwaggerModule.createDocument(app, info)),
    {
      jsonDocumentUrl: 'docs-json',
      raw: ['json'],
    },
  );
}

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
