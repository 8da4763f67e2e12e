import { UnsupportedMediaTypeException, ValidationPipe } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { CORRELATION_ID_HEADER, correlationIdFor } from './common/correlation-id';
import type { RawRequestWithRoute } from './logging/logging.module';

const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;

/** The Fastify adapter with the gateway's server options. */
export function createFastifyAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    genReqId: correlationIdFor,
    requestIdHeader: false,
    bodyLimit: 16 * 1024,
  });
}

/**
 * Everything main.ts and the e2e tests both need on the app: validation, the error shape for every
 * error (Nest routes Fastify's own errors, such as malformed JSON, through the same filter), the
 * correlation id header and the OpenAPI document.
 */
export function configureApp(app: NestFastifyApplication): void {
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
          'Every error has the body { statusCode, error, message, requestId }.',
      )
      .setVersion('1.0')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
