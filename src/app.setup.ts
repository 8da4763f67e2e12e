import helmet from '@fastify/helmet';
import { UnsupportedMediaTypeException, ValidationPipe } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { CORRELATION_ID_HEADER, correlationIdFor } from './common/correlation-id';
import { toErrorResponse } from './common/error-response';
import { securityConfig } from './config/configuration';
import type { RawRequestWithRoute } from './logging/logging.module';

const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;

/**
 * The Fastify adapter with the gateway's server options. Built before Nest's DI exists, so it
 * takes the `security` namespace from `securityConfig()`, which validates the environment itself.
 */
export function createFastifyAdapter(
  security: ConfigType<typeof securityConfig> = securityConfig(),
): FastifyAdapter {
  return new FastifyAdapter({
    genReqId: correlationIdFor,
    requestIdHeader: false,
    bodyLimit: security.bodyLimitBytes,
    trustProxy: security.trustProxy,
    // Prototype-poisoning keys in JSON bodies are refused with 400 (Fastify's default, made explicit).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // URLs the router refuses before any hook or Nest runs (malformed, over-long parameters):
    // answered in the common error shape too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const { status, headers, body } = toErrorResponse(error, request.id);
      void reply
        .status(status)
        .headers({ ...headers, [CORRELATION_ID_HEADER]: request.id })
        .send(body);
    },
  });
}

/**
 * Everything main.ts and the e2e tests both need on the app: security headers and CORS,
 * validation, the error shape for every error (Nest routes Fastify's own errors, such as malformed
 * JSON, through the same filter), the correlation id header and the OpenAPI document.
 */
export async function configureApp(app: NestFastifyApplication): Promise<void> {
  const security = app.get<ConfigType<typeof securityConfig>>(securityConfig.KEY);
  await app.register(helmet, {
    // Swagger UI is served by the app itself: its scripts and styles come from 'self'; it sets a
    // few inline styles and uses data: images.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
  });
  if (security.corsOrigins.length > 0) {
    app.enableCors({
      origin: security.corsOrigins,
      methods: ['GET', 'POST'],
      exposedHeaders: [CORRELATION_ID_HEADER, 'retry-after', 'location'],
    });
  }
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
    }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header(CORRELATION_ID_HEADER, request.id);
    // For the request log line, which pino-http writes from the raw request.
    (request.raw as RawRequestWithRoute).routeTemplate = request.routeOptions.url;
    // JSON is the only body this API takes: refuse other media types before any parser runs.
    const contentType = request.headers['content-type'];
    if (
      request.method !== 'GET' &&
      contentType !== undefined &&
      !JSON_MEDIA_TYPE.test(contentType)
    ) {
      throw new UnsupportedMediaTypeException('Content-Type must be application/json');
    }
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Event Management API')
      .setDescription(
        'A resilient gateway in front of the Event API. Every upstream call goes through a circuit breaker: ' +
          'when it is open, calls answer 503 at once with Retry-After. Legacy paths of the original system are kept and marked deprecated. ' +
          'Every error has the body { statusCode, error, message, requestId }. Clients are rate limited per IP (429 with Retry-After).',
      )
      .setVersion('1.0')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
