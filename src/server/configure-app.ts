import { ValidationPipe } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AllExceptionsFilter } from '../common/errors/all-exceptions.filter';
import { validationFailed } from '../common/errors/validation-error';
import type { GatewayConfig } from '../config/gateway-config';
import { acceptJsonBodiesOnly } from './json-bodies';
import { answerMethodNotAllowed } from './method-not-allowed';
import { setupOpenApi } from './openapi';
import { Tracing } from '../tracing/tracing.service';
import { traceRequests } from '../tracing/server-spans';
import { echoCorrelationId } from './request-hooks';
import { closeConnectionsWhileDraining } from './drain';
import { ShutdownState } from '../health/shutdown-state';
import { applySecurity } from './security';

/**
 * Everything main.ts and the e2e tests both do to the app before it listens: security, request
 * hooks, validation, the one error filter, and the OpenAPI document.
 */
export function configureApp(app: NestFastifyApplication, config: GatewayConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  // First: every later hook, and everything Nest runs, is inside the request's context and span.
  traceRequests(fastify, app.get(Tracing));
  applySecurity(app, config.security);
  answerMethodNotAllowed(fastify); // before any route: it records every route registered after it
  echoCorrelationId(fastify);
  const shutdown = app.get(ShutdownState);
  closeConnectionsWhileDraining(fastify, () => shutdown.isShuttingDown);
  acceptJsonBodiesOnly(fastify);
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
  setupOpenApi(app, { adminRoutes: config.admin.token !== undefined });
}
