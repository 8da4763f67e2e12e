import { type Clock, CLOCK, WALL_CLOCK } from '../../src/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import type { Writable } from 'node:stream';
import { AppModule } from '../../src/app.module';

import { FakeClock } from '../../src/testing/fake-clock';

import { loadConfig } from '../../src/common/config/gateway-config';
import { LOG_DESTINATION } from '../../src/logging/pino-logger';
import { PinoNestLogger } from '../../src/logging/pino-nest-logger';
import { configureApp } from '../../src/server/configure-app';
import { createFastifyAdapter } from '../../src/server/fastify-adapter';
import { UPSTREAM } from '../../src/testing/upstream-url';
import { SPAN_EXPORTER } from '../../src/tracing/tracing.module';
import type { SpanExporter } from '@opentelemetry/sdk-trace';

/**
 * Settings every e2e app starts from: the nock-stubbed upstream, no pause before a retry, no
 * drain delay on close (the shutdown test sets one), and the read cache off, so that every read
 * reaches the (stubbed) upstream unless a test turns the cache on to test it. Hedged reads are
 * off: they are timed by the latencies an app has seen (a few ms from nock), so a suite that
 * holds an answer or counts upstream calls would see hedges depending on the machine's speed;
 * test/hedged-reads.e2e-spec.ts turns them on to test them.
 */
const TEST_ENV = {
  NODE_ENV: 'test',
  EVENT_API_BASE_URL: UPSTREAM,
  UPSTREAM_RETRY_DELAY_MS: '0',
  UPSTREAM_HEDGE_READS: 'false',
  SHUTDOWN_DRAIN_MS: '0',
  READ_CACHE_TTL_MS: '0',
  READ_CACHE_STALE_IF_ERROR_MS: '0',
};

export interface TestAppOptions {
  /** With a stream, the app logs through pino into it, as in production; otherwise it is quiet. */
  readonly logs?: Writable;
  /** The clock the circuit breakers measure time with (a `FakeClock` to step through waits). */
  readonly clock?: Clock;
  /** The wall clock of the read cache (when entries were stored): a `FakeClock` ages them. */
  readonly wallClock?: Clock;
  /** Where finished spans go (an InMemorySpanExporter), each as it ends. */
  readonly spanExporter?: SpanExporter;
  /** Replaces providers, e.g. to make a service fail in a way the upstream cannot. */
  readonly override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

/**
 * The real application (Fastify adapter, hooks, global pipe and filter, Swagger) as main.ts builds
 * it, configured from `env` on top of the test defaults (process.env is never read or changed).
 * Close it with `app.close()`.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<NestFastifyApplication> {
  // Quiet unless the test captures the logs.
  const config = loadConfig({ ...TEST_ENV, LOG_LEVEL: options.logs ? 'info' : 'silent', ...env });
  let builder = Test.createTestingModule({ imports: [AppModule.forRoot(config)] });
  if (options.logs) builder = builder.overrideProvider(LOG_DESTINATION).useValue(options.logs);
  if (options.clock) builder = builder.overrideProvider(CLOCK).useValue(options.clock);
  if (options.wallClock) builder = builder.overrideProvider(WALL_CLOCK).useValue(options.wallClock);
  if (options.spanExporter) {
    builder = builder.overrideProvider(SPAN_EXPORTER).useValue(options.spanExporter);
  }
  if (options.override) builder = options.override(builder);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    createFastifyAdapter(config),
    {
      bodyParser: false,
    },
  );
  if (options.logs) app.useLogger(app.get(PinoNestLogger));
  configureApp(app, config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/**
 * One app per test, closed after it: `const gateway = useTestApp()`, then in a test
 * `const app = await gateway.start({ ... })`. `gateway.clock` is the FakeClock the app's breakers
 * use, fresh for every test.
 */
export function useTestApp(): {
  start(env?: Record<string, string>, options?: TestAppOptions): Promise<NestFastifyApplication>;
  readonly app: NestFastifyApplication;
  readonly clock: FakeClock;
} {
  let app: NestFastifyApplication | undefined;
  let clock = new FakeClock();
  afterEach(async () => {
    await app?.close();
    app = undefined;
    clock = new FakeClock();
  });
  return {
    async start(env = {}, options = {}) {
      await app?.close();
      app = await createTestApp(env, { clock, ...options });
      return app;
    },
    get app() {
      if (!app) throw new Error('start() the test app first');
      return app;
    },
    get clock() {
      return clock;
    },
  };
}

/** Lets pending I/O callbacks and promise jobs run, without waiting on any timer. */
export function flushIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
