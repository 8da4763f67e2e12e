import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { SERVICE_VERSION } from '../shared/config/service-version';

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
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, info), {
    jsonDocumentUrl: 'docs-json',
    raw: ['json'],
  });
}
