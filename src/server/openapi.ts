import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { authenticationRequired, insufficientScope, invalidToken } from '../auth/bearer-errors';
import { isPublicRoute } from '../auth/principal';
import { CREATE_ROUTES } from '../event-creation/create-refusal';
import { CURRENT_API_PREFIX } from '../shared/api-version';
import type { AuthConfig } from '../shared/config/gateway-config';
import { SERVICE_VERSION } from '../shared/config/service-version';
import { toErrorResponse } from '../shared/errors/error-response';

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
  const document = () => finishDocument(SwaggerModule.createDocument(app, info), auth);
  SwaggerModule.setup('docs', app, document, {
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
