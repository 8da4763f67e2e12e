// The packages scripts/bundle.mjs leaves out of the bundle (why: see there), loaded from
// node_modules at run time; scripts/runtime-packages.mjs keeps them and their dependencies in the
// image. A module of its own so that the image's pruning step needs no build tool.
export const EXTERNAL_PACKAGES = [
  'swagger-ui-dist',
  'bullmq',
  'ioredis',
  'pino',
  'pino-pretty',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/exporter-trace-otlp-proto',
];
