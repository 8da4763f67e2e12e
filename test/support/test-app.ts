import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { Logger as PinoLogger } from 'nestjs-pino';
import type { Writable } from 'node:stream';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';
import { LOG_DESTINATION } from '../../src/logging/logging.module';
import { UPSTREAM } from '../../src/testing/upstream-url';

/**
 * Settings every e2e app starts from: the nock-stubbed upstream, no pause before a retry and no
 * drain delay on close (the shutdown test sets one).
 */
const TEST_ENV = {
  NODE_ENV: 'test',
  EVENT_API_BASE_URL: UPSTREAM,
  UPSTREAM_RETRY_DELAY_MS: '0',
  SHUTDOWN_DRAIN_MS: '0',
};

/**
 * The real application (Fastify adapter, global pipes and filter, Swagger) as main.ts builds it,
 * with `env` applied while its configuration is read. Close it with `app.close()`. With
 * `options.logs`, the app logs through pino into that stream, as it does in production (only the
 * first app of a test file: nestjs-pino keeps one root logger per process).
 */
export async function createTestApp(
  env: Record<string, string> = {},
  options: {
    logs?: Writable;
    /** Replaces providers, e.g. to make a service fail in a way the upstream cannot. */
    override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  } = {},
): Promise<NestFastifyApplication> {
  const overrides: Record<string, string> = { ...TEST_ENV, ...env };
  const previous = Object.fromEntries(Object.keys(overrides).map((key) => [key, process.env[key]]));
  Object.assign(process.env, overrides);
  try {
    let builder = Test.createTestingModule({ imports: [AppModule] });
    if (options.logs) builder = builder.overrideProvider(LOG_DESTINATION).useValue(options.logs);
    if (options.override) builder = options.override(builder);
    const moduleRef = await builder.compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter());
    // With a log stream the app logs as in production (pino, JSON lines); otherwise it is quiet.
    if (options.logs) app.useLogger(app.get(PinoLogger));
    await configureApp(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  } finally {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** Lets pending I/O callbacks and promise jobs run, without waiting on any timer. */
export function flushIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
