import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CORRELATION_ID_HEADER } from '../common/correlation-id';
import type { GatewayConfig } from '../config/gateway-config';

/** Security headers on every answer, and CORS for the configured origins only. */
export async function applySecurity(
  app: NestFastifyApplication,
  security: GatewayConfig['security'],
): Promise<void> {
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
      origin: [...security.corsOrigins],
      methods: ['GET', 'POST'],
      exposedHeaders: [CORRELATION_ID_HEADER, 'retry-after', 'location'],
    });
  }
}
