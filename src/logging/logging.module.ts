import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { DestinationStream } from 'pino';
import type { GatewayConfig } from '../common/config/gateway-config';
import { createPinoLogger, LOG_DESTINATION, PINO } from './pino-logger';
import { PinoNestLogger } from './pino-nest-logger';
import { RequestLog } from './request-log';

/**
 * Structured logs with pino: Nest's own logger writes through it (`app.useLogger(PinoNestLogger)`),
 * and a Fastify hook writes one line per request. Both carry the request's correlation id.
 */
@Global()
@Module({
  providers: [
    { provide: LOG_DESTINATION, useValue: undefined },
    {
      provide: PINO,
      inject: [ConfigService, LOG_DESTINATION],
      useFactory: (config: ConfigService<GatewayConfig, true>, destination?: DestinationStream) =>
        createPinoLogger(config.get('app', { infer: true }), destination),
    },
    PinoNestLogger,
    RequestLog,
  ],
  exports: [PinoNestLogger, PINO, RequestLog],
})
export class LoggingModule {}
