import { ValidationPipe, VersioningType } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AllExceptionsFilter } from '../common/errors/all-exceptions.filter';
import { validationFailed } from '../common/errors/validation-error';
import type { GatewayConfig } from '../common/config/gateway-config';
import { setupOpenApi } from './openapi';
import { registerRequestPipeline } from './request-pipeline';
import { enableCors } from './security';

/**
 * Everything main.ts and the e2e tests both do to the app before it listens: the request pipeline,
 * URI versioning, CORS, validation, the one error filter, and the OpenAPI document.
 */
export function configureApp(app: NestFastifyApplication, config: GatewayConfig): void {
  registerRequestPipeline(app, config);
  // /v1/… (see shared/api-version.ts); unversioned controllers keep their paths.
  app.enableVersioning({ type: VersioningType.URI });
  enableCors(app, config.security);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
      // One message per broken property: the first rule it breaks (see CreateEventDto).
      stopAtFirstError: true,
      exceptionFactory: validationFailed,
    }),
  );
  app.useGlobalFilters(new AllExceptionsFilter({ bodyLimitBytes: config.security.bodyLimitBytes }));
  setupOpenApi(app, { adminRoutes: config.admin.token !== undefined, auth: config.auth });
}
