import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { GatewayConfig } from '../common/config/gateway-config';
import { Tracing } from './tracing.service';

/** Replaces the exporter (tests: an in-memory one, spans exported as each ends). */
export const SPAN_EXPORTER = Symbol('SPAN_EXPORTER');

@Module({
  providers: [
    { provide: SPAN_EXPORTER, useValue: undefined },
    {
      provide: Tracing,
      inject: [ConfigService, SPAN_EXPORTER],
      useFactory: (config: ConfigService<GatewayConfig, true>, exporter?: SpanExporter) =>
        new Tracing(config.get('tracing', { infer: true }), exporter),
    },
  ],
  exports: [Tracing],
})
export class TracingModule {}
