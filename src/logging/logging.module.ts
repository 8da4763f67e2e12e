import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import { correlationIdFor } from '../common/correlation-id';
import type { GatewayConfig } from '../config/gateway-config';
import { PROBE_ROUTES } from '../common/probe-routes';

/** Where log lines go: stdout, unless a test captures them. */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');

/** What the onRequest hook leaves on the raw request for the request log line. */
export type RawRequestWithRoute = IncomingMessage & {
  routeTemplate?: string;
  originalUrl?: string;
};

/** The request path: Nest's middleware layer (middie) rewrites `url` and keeps the original. */
function pathOf(req: RawRequestWithRoute): string {
  return (req.originalUrl ?? req.url ?? '').split('?')[0];
}

function prettyTransport(nodeEnv: string): Options['transport'] {
  if (nodeEnv !== 'development') return undefined;
  try {
    require.resolve('pino-pretty'); // a dev dependency: JSON lines when it is not installed
    return {
      target: 'pino-pretty',
      options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' },
    };
  } catch {
    return undefined;
  }
}

@Global()
@Module({
  providers: [{ provide: LOG_DESTINATION, useValue: undefined }],
  exports: [LOG_DESTINATION],
})
class LogDestinationModule {}

/**
 * Structured logs with nestjs-pino: JSON lines (pretty in development), level from LOG_LEVEL,
 * one line per request with method, route, status, duration and correlation id. Every log line
 * written while serving a request carries its `correlationId`. Headers and bodies are not logged.
 */
@Module({
  imports: [
    LogDestinationModule,
    LoggerModule.forRootAsync({
      inject: [ConfigService, LOG_DESTINATION],
      useFactory: (config: ConfigService<GatewayConfig, true>, destination?: DestinationStream) => {
        const app = config.get('app', { infer: true });
        const options: Options<RawRequestWithRoute, ServerResponse> = {
          level: app.logLevel,
          transport: destination ? undefined : prettyTransport(app.nodeEnv),
          // Fastify has already chosen the id (see correlation-id.ts); pino-http must reuse it.
          genReqId: (req) => (req as { id?: string }).id ?? correlationIdFor(req),
          customAttributeKeys: { reqId: 'correlationId' },
          // Evaluated again when the request finishes, once Fastify has matched the route.
          customProps: (req) => (req.routeTemplate ? { route: req.routeTemplate } : {}),
          serializers: {
            // The route is a top-level `route` (customProps): at serialisation time it is not known.
            req: (req: RawRequestWithRoute) => ({ method: req.method, url: req.url }),
            res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
          },
          autoLogging: {
            // Probes and scrapes every few seconds would drown the traffic in the logs.
            ignore: (req) => PROBE_ROUTES.has(pathOf(req)),
          },
          customSuccessMessage: (req, res, responseTime) =>
            `${req.method} ${req.routeTemplate ?? req.url} ${res.statusCode} ${Math.round(responseTime)} ms`,
          customErrorMessage: (req, res) =>
            `${req.method} ${req.routeTemplate ?? req.url} ${res.statusCode} failed`,
          quietReqLogger: true,
        };
        return {
          pinoHttp: destination ? [options, destination] : options,
          forRoutes: ['*'],
        };
      },
    }),
  ],
})
export class LoggingModule {}
