import { Emitter } from '../common';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  createNoopMeter,
  type Attributes,
  type Meter,
  type MeterProvider,
  type Tracer,
} from '@opentelemetry/api';
import { getNumberFromEnv, getStringFromEnv, W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

import type { GatewayConfig } from '../common/config/gateway-config';
import { ContextOnlyTracer } from './context-only-tracer';
import { SERVICE_VERSION } from '../common/config/service-version';

/** How long a shutdown waits for the last spans to be exported. */
const FLUSH_ON_SHUTDOWN_MS = 2000;

/**
 * The sampler OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name (checked at start-up, see
 * config/environment.ts), built the way sdk-trace-base did: sdk-trace 2 no longer reads them
 * itself. Unset: parentbased_always_on, the SDK's default.
 */
function samplerFromEnv(): Sampler {
  const ratio = new TraceIdRatioBasedSampler(getNumberFromEnv('OTEL_TRACES_SAMPLER_ARG') ?? 1);
  switch (getStringFromEnv('OTEL_TRACES_SAMPLER')?.trim()) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * A MeterProvider that hears one thing from the span processor: spans it drops because its queue
 * is full (an unreachable collector), so they can be counted in Prometheus.
 */
function dropCounter(onDropped: (count: number) => void): MeterProvider {
  const noop = createNoopMeter();
  const meter: Meter = Object.assign(Object.create(noop) as Meter, {
    createCounter: (name: string) => ({
      add: (count: number, attributes?: Attributes) => {
        if (
          name === 'otel.sdk.processor.span.processed' &&
          attributes?.['error.type'] === 'queue_full'
        ) {
          onDropped(count);
        }
      },
    }),
  });
  return { getMeter: () => meter };
}

/**
 * Tracing with the OpenTelemetry SDK, no auto-instrumentation: a SERVER span per request and a
 * CLIENT span per upstream attempt (see the server hooks and the Event API client), W3C trace
 * context in and out. Spans are always made, so trace ids reach the upstream and the logs; they
 * are recorded and exported over OTLP/HTTP only when the OTEL_EXPORTER_OTLP_* variables name an
 * endpoint (without one they carry the context only, see ContextOnlyTracer)
 * (batched, bounded: an unreachable collector drops spans, counted, and never slows a request).
 * The SDK is configured by the standard OTEL_* variables, read where the SDK reads them: the
 * exporter its own, the sampler and the batching here with the SDK's helpers (sdk-trace 2 no
 * longer reads those); an unset one keeps the SDK's default.
 */
@Injectable()
export class Tracing implements OnApplicationShutdown {
  readonly tracer: Tracer;
  /**
   * Whether spans are recorded (an exporter is configured). Without one the tracer makes spans
   * that carry the trace context only (ContextOnlyTracer), and span attributes need not be built.
   */
  readonly recording: boolean;
  readonly propagator = new W3CTraceContextPropagator();
  /** Spans dropped because the export queue was full. */
  readonly dropped = new Emitter<number>();
  private readonly provider: TracerProvider;
  private readonly logger = new Logger('Tracing');

  constructor(config: GatewayConfig['tracing'], exporter?: SpanExporter) {
    const processors: SpanProcessor[] = [];
    if (exporter) {
      processors.push(new SimpleSpanProcessor({ exporter }));
    } else if (config.export) {
      processors.push(
        new BatchSpanProcessor({
          exporter: Tracing.otlpExporter(config.export.protocol),
          scheduledDelayMillis: getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY'),
          maxQueueSize: getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE'),
          maxExportBatchSize: getNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
          exportTimeoutMillis: getNumberFromEnv('OTEL_BSP_EXPORT_TIMEOUT'),
          selfObsMeterProvider: dropCounter((count) => this.dropped.emit(count)),
        }),
      );
      this.logger.log(`Exporting spans to ${config.export.collector} (${config.export.protocol})`);
    }
    const sampler = samplerFromEnv();
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: config.serviceName,
        [ATTR_SERVICE_VERSION]: SERVICE_VERSION,
      }),
      sampler,
      spanProcessors: processors,
    });
    this.recording = processors.length > 0;
    this.tracer = this.recording
      ? this.provider.getTracer('event-gateway')
      : new ContextOnlyTracer(sampler);
  }

  /**
   * The OTLP exporter for the protocol asked for, loaded only when spans are exported. Given no
   * options, it reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT, _COMPRESSION and
   * the certificate variables itself.
   */
  private static otlpExporter(
    protocol: NonNullable<GatewayConfig['tracing']['export']>['protocol'],
  ): SpanExporter {
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand, see above */
    if (protocol === 'http/json') {
      const { OTLPTraceExporter } =
        require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter();
    }
    const { OTLPTraceExporter } =
      require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
    return new OTLPTraceExporter();
    /* eslint-enable @typescript-eslint/no-require-imports */
  }

  /** Exports what is left, within a bound: shutdown must not wait on an unreachable collector. */
  async onApplicationShutdown(): Promise<void> {
    const flushed = this.provider.shutdown().catch((error: unknown) => {
      this.logger.warn(`Spans not exported at shutdown: ${String(error)}`);
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, FLUSH_ON_SHUTDOWN_MS);
    });
    await Promise.race([flushed, deadline]);
    clearTimeout(timer);
  }
}
